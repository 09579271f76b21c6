"""CameraFeed: threads, frame dropping, signals, modes, and stop() leaving nothing behind."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time
from typing import Any

import numpy as np
import pytest

from kiosk.scanning import FrameAssessment, Problem, corpus
from kiosk.ui.camera_feed import (
    CameraFeed,
    CameraState,
    _normalise_status,
    decode_thumbnail,
    join_finishing,
)


class ArraySource:
    """An in-memory FrameSource (the kiosk.scanning protocol) looping over numpy frames."""

    def __init__(self, frames: list[np.ndarray], fps: float | None = 30.0) -> None:
        self.frames = frames
        self.fps = fps
        self.i = 0
        self.released = False

    def open(self) -> None:
        self.released = False

    def read(self) -> np.ndarray | None:
        frame = self.frames[self.i % len(self.frames)]
        self.i += 1
        return frame

    def release(self) -> None:
        self.released = True

    def describe(self) -> str:
        return "array source"


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate()
            if t.name in ("camera-worker", "kiosk-analysis") and t.is_alive()]


GOOD = corpus.make_sample(1, seed=7, condition="good", background="dark", kind="id_card").frame
BLURRED = corpus.make_sample(1, seed=7, condition="blurred", background="dark",
                             kind="id_card").frame


@pytest.fixture
def feeds() -> Any:
    made: list[CameraFeed] = []

    def make(source: ArraySource, **kwargs: Any) -> CameraFeed:
        feed = CameraFeed(lambda: source, **kwargs)
        made.append(feed)
        return feed

    yield make
    for feed in made:
        feed.stop()
    assert join_finishing(5)
    assert _threads() == []


def test_stop_joins_both_threads_and_can_be_called_twice(qtbot: Any, feeds: Any) -> None:
    source = ArraySource([GOOD])
    feed = feeds(source)
    frames: list[Any] = []
    feed.frame_ready.connect(lambda image, a: frames.append(image))
    feed.start_document("id_card")
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=5000)
    assert len(_threads()) == 2
    feed.stop()
    assert join_finishing(5)
    assert _threads() == []
    assert source.released
    assert feed.status == CameraState.STOPPED
    feed.stop()
    count = len(frames)
    qtbot.wait(100)
    assert len(frames) == count  # nothing is delivered after stop()


def test_preview_is_a_downscaled_copy(qtbot: Any, feeds: Any) -> None:
    frame = GOOD.copy()
    feed = feeds(ArraySource([frame]))
    feed.set_display_size(640, 480)  # fits by width: 640×360
    images: list[Any] = []
    feed.frame_ready.connect(lambda image, a: images.append(image))
    feed.start_qr()
    qtbot.waitUntil(lambda: bool(images), timeout=5000)
    image = images[0]
    assert (image.width(), image.height()) == (640, 360)
    before = image.pixelColor(320, 180)
    frame[:] = 0  # the QImage owns its pixels
    assert image.pixelColor(320, 180) == before


def test_busy_analysis_drops_frames_instead_of_queueing(qtbot: Any, feeds: Any) -> None:
    def slow_assess(frame: np.ndarray, **kwargs: Any) -> FrameAssessment:
        time.sleep(0.12)
        return FrameAssessment(None, (Problem.NO_DOCUMENT,), frame_size=(1280, 720))

    feed = feeds(ArraySource([GOOD], fps=30.0), assess=slow_assess)
    previews: list[float] = []
    feed.frame_ready.connect(lambda image, a: previews.append(time.monotonic()))
    feed.start_document("id_card")
    qtbot.wait(1500)
    stats = feed.stats()
    assert stats.frames_dropped > stats.frames_in // 2
    assert stats.frames_analysed <= 14
    assert stats.analysis_ms_median >= 100
    # The preview keeps the camera's pace although analysis runs at ~8 fps.
    assert stats.preview_fps > 20
    assert len(previews) > 25


def test_qr_mode_reads_codes_and_does_not_assess(qtbot: Any, feeds: Any) -> None:
    calls = {"assess": 0, "qr": 0}

    def assess(frame: np.ndarray, **kwargs: Any) -> FrameAssessment:
        calls["assess"] += 1
        return FrameAssessment(None, (Problem.NO_DOCUMENT,))

    def decode(frame: np.ndarray) -> list[str]:
        calls["qr"] += 1
        return ["IESS1:X"]

    feed = feeds(ArraySource([GOOD]), assess=assess, decode_qr_fn=decode)
    texts: list[str] = []
    feed.qr_found.connect(texts.append)
    feed.start_qr()
    qtbot.waitUntil(lambda: calls["qr"] >= 5, timeout=5000)
    assert calls["assess"] == 0
    assert texts[0] == "IESS1:X"
    assert len(texts) <= 2  # the feed itself does not repeat a code more than once a second


def test_auto_capture_fires_once_per_document(qtbot: Any, feeds: Any) -> None:
    feed = feeds(ArraySource([GOOD]))
    captures: list[tuple[Any, Any]] = []
    progress: list[float] = []
    feed.capture_ready.connect(lambda frame, corners: captures.append((frame, corners)))
    feed.assessed.connect(lambda a, p: progress.append(p))
    feed.start_document("id_card")
    qtbot.waitUntil(lambda: len(captures) == 1, timeout=5000)
    frame, corners = captures[0]
    assert frame.shape == GOOD.shape and len(corners) == 4
    assert any(0 < p < 1 for p in progress)  # the hold-still ring fills up
    qtbot.wait(800)
    assert len(captures) == 1
    feed.start_document("id_card")  # the next requirement
    qtbot.waitUntil(lambda: len(captures) == 2, timeout=5000)


def test_a_blurred_document_is_never_captured(qtbot: Any, feeds: Any) -> None:
    feed = feeds(ArraySource([BLURRED]))
    captures: list[Any] = []
    seen: list[FrameAssessment] = []
    feed.capture_ready.connect(lambda f, c: captures.append(c))
    feed.assessed.connect(lambda a, p: seen.append(a))
    feed.start_document("id_card")
    qtbot.wait(1500)
    assert captures == []
    assert seen and Problem.BLURRED in seen[-1].problems


def test_pause_stops_previews_and_analysis(qtbot: Any, feeds: Any) -> None:
    feed = feeds(ArraySource([GOOD]))
    frames: list[Any] = []
    feed.frame_ready.connect(lambda image, a: frames.append(image))
    feed.start_document("id_card")
    qtbot.waitUntil(lambda: len(frames) >= 2, timeout=5000)
    feed.pause()
    qtbot.wait(100)
    count = len(frames)
    qtbot.wait(300)
    assert len(frames) == count
    feed.resume()
    qtbot.waitUntil(lambda: len(frames) > count, timeout=5000)


def test_a_failing_analysis_does_not_stop_the_preview(qtbot: Any, feeds: Any,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    def broken(frame: np.ndarray, **kwargs: Any) -> FrameAssessment:
        raise ValueError("boom")

    feed = feeds(ArraySource([GOOD]), assess=broken)
    frames: list[Any] = []
    feed.frame_ready.connect(lambda image, a: frames.append(image))
    feed.start_document("id_card")
    qtbot.waitUntil(lambda: len(frames) >= 10, timeout=5000)
    assert "frame analysis failed" in caplog.text


def test_open_failure_reports_not_found(qtbot: Any) -> None:
    def no_camera() -> Any:
        raise RuntimeError("no device")

    feed = CameraFeed(no_camera)
    statuses: list[str] = []
    feed.status_changed.connect(statuses.append)
    feed.start_qr()
    assert statuses[-1] == CameraState.NOT_FOUND
    assert _threads() == []
    feed.stop()


def test_status_names_from_the_worker() -> None:
    from kiosk.scanning import CameraStatus

    assert _normalise_status(CameraStatus.OK) == CameraState.OK
    assert _normalise_status(CameraStatus.RECONNECTING) == CameraState.RECONNECTING
    assert _normalise_status(CameraStatus.NOT_FOUND) == CameraState.NOT_FOUND
    assert _normalise_status(CameraStatus.STOPPED) == CameraState.STOPPED


def test_thumbnail_decoding() -> None:
    import cv2

    ok, buf = cv2.imencode(".jpg", GOOD)
    assert ok
    image = decode_thumbnail(buf.tobytes(), "image/jpeg", max_side=320)
    assert image is not None and max(image.width(), image.height()) == 320
    assert decode_thumbnail(b"%PDF-1.4", "application/pdf") is None
    assert decode_thumbnail(b"not a jpeg", "image/jpeg") is None


def test_a_stalled_camera_is_reported_then_recovers(qtbot: Any, feeds: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.ui.camera_feed as camera_feed

    monkeypatch.setattr(camera_feed, "WATCHDOG_MS", 100)
    monkeypatch.setattr(camera_feed, "STALL_S", 0.4)
    gate = threading.Event()
    gate.set()

    class HangingSource(ArraySource):
        def read(self) -> np.ndarray | None:
            gate.wait(5)  # a driver that stops delivering without an error
            return super().read()

    feed = feeds(HangingSource([GOOD]))
    statuses: list[str] = []
    feed.status_changed.connect(statuses.append)
    feed.start_qr()
    qtbot.waitUntil(lambda: feed.status == CameraState.OK, timeout=5000)
    gate.clear()
    qtbot.waitUntil(lambda: feed.status == CameraState.RECONNECTING, timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: feed.status == CameraState.OK, timeout=5000)
    assert statuses[-2:] == [CameraState.RECONNECTING, CameraState.OK]


def test_a_dead_camera_thread_is_restarted_then_given_up(qtbot: Any, feeds: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.ui.camera_feed as camera_feed

    monkeypatch.setattr(camera_feed, "WATCHDOG_MS", 100)
    crashes: list[Any] = []  # the worker's exception, kept away from whatever hook is installed
    monkeypatch.setattr(threading, "excepthook", crashes.append)
    opened: list[ArraySource] = []

    class CrashingSource(ArraySource):
        def read(self) -> np.ndarray | None:
            if self.i >= 3:
                raise OSError("driver crashed (test)")
            return super().read()

    def open_source() -> ArraySource:
        opened.append(CrashingSource([GOOD]))
        return opened[-1]

    feed = CameraFeed(open_source)
    frames: list[Any] = []
    feed.frame_ready.connect(lambda image, a: frames.append(image))
    try:
        feed.start_document("id_card")
        qtbot.waitUntil(lambda: len(opened) >= 2, timeout=5000)  # restarted
        qtbot.waitUntil(lambda: feed.status == CameraState.NOT_FOUND, timeout=5000)
        assert len(opened) == 1 + camera_feed.MAX_RESTARTS
        assert len(frames) >= 3
        assert all(c.exc_type is OSError for c in crashes)
    finally:
        feed.stop()
    assert join_finishing(5)
    assert _threads() == []
