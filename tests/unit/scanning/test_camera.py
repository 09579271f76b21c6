from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.scanning import CameraStatus, CameraWorker, DeviceSource, FileSource, ImageSequenceSource
from kiosk.scanning.camera import CameraError


class Collector:
    def __init__(self) -> None:
        self.frames: list[tuple[np.ndarray, float]] = []
        self.status: list[CameraStatus] = []
        self.event = threading.Event()

    def frame(self, f: np.ndarray, t: float) -> None:
        self.frames.append((f, t))
        if len(self.frames) >= 5:
            self.event.set()


def _images(tmp_path: Path, n: int = 3, level: int = 0) -> list[Path]:
    paths = []
    for i in range(n):
        p = tmp_path / f"f{level}_{i}.png"
        cv2.imwrite(str(p), np.full((40, 60, 3), level + i, np.uint8))
        paths.append(p)
    return paths


def test_image_sequence_paced_and_stopped(tmp_path: Path) -> None:
    c = Collector()
    w = CameraWorker(ImageSequenceSource(_images(tmp_path), fps=50), c.frame, c.status.append)
    w.start()
    assert c.event.wait(3)
    assert 25 < w.fps < 75
    w.stop()
    assert not w.is_alive()
    assert c.status[0] == CameraStatus.OK and c.status[-1] == CameraStatus.STOPPED
    ts = [t for _, t in c.frames]
    assert all(b > a for a, b in itertools.pairwise(ts))


def test_missing_device_and_file_report_not_found(tmp_path: Path) -> None:
    for source in (FileSource(tmp_path / "missing.avi"), DeviceSource("/dev/video-does-not-exist")):
        c = Collector()
        w = CameraWorker(source, c.frame, c.status.append, max_backoff=0.05)
        w.start()
        time.sleep(0.3)
        w.stop()
        assert not w.is_alive()
        assert c.status[0] == CameraStatus.NOT_FOUND
        assert CameraStatus.RECONNECTING in c.status
        assert c.frames == []


class Flaky:
    """Delivers 3 frames, then fails twice (unplugged), then works again."""

    fps: float | None = 100.0

    def __init__(self) -> None:
        self.reads = 0
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def read(self) -> np.ndarray | None:
        self.reads += 1
        return None if self.reads in (4, 5) else np.zeros((40, 40, 3), np.uint8)

    def release(self) -> None:
        pass

    def describe(self) -> str:
        return "flaky"


def test_reconnects_after_read_failure() -> None:
    c = Collector()
    src = Flaky()
    w = CameraWorker(src, c.frame, c.status.append, max_backoff=0.02)
    w.start()
    assert c.event.wait(3)
    w.stop()
    assert c.status[:3] == [CameraStatus.OK, CameraStatus.RECONNECTING, CameraStatus.OK]
    assert src.opens >= 2


def test_switch_source_and_file_source_loops(tmp_path: Path) -> None:
    video = tmp_path / "v.avi"
    wr = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for _ in range(3):
        wr.write(np.full((48, 64, 3), 200, np.uint8))
    wr.release()
    c = Collector()
    w = CameraWorker(ImageSequenceSource(_images(tmp_path), fps=100), c.frame)
    w.start()
    assert c.event.wait(3)
    w.switch_source(FileSource(video))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (c.frames and c.frames[-1][0].shape == (48, 64, 3)):
        time.sleep(0.02)
    n = len(c.frames)
    time.sleep(0.3)  # 3-frame file at 30 fps: keeps coming only if it loops
    w.stop()
    assert c.frames[-1][0].shape == (48, 64, 3)
    assert len(c.frames) - n >= 5
    assert isinstance(w.source, FileSource)


def test_image_sequence_missing_file(tmp_path: Path) -> None:
    src = ImageSequenceSource([tmp_path / "nope.png"])
    try:
        src.open()
    except CameraError as exc:
        assert "nope.png" in str(exc)
    else:
        raise AssertionError("expected CameraError")
