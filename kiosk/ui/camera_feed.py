"""The live camera for the scan and capture screens, with all image work off the UI thread.

Threads (none of them the UI thread):

    camera worker ──frame──► _on_frame: preview (scaled to the view, BGRA QImage copy)
                              │                                  ─► coalesced post to UI
                              └─► one-slot mailbox (newer frame overwrites: dropped, never queued)
    analysis thread ◄─mailbox─ assess_frame / decode_qr, StabilityTracker ─► coalesced post to UI

The UI thread only receives finished QImages and small records through queued signals, and at most
one preview and one analysis result are in flight at a time: if the UI is busy, newer results
replace older ones instead of piling up, so latency never grows. Capture and QR results carry the
mode generation they were computed for, and the UI drops anything from an older generation.
stop() joins the camera thread (the device is free for the next page) and lets an analysis in
progress finish by itself. A once-a-second watchdog on the UI thread turns a silent camera into
"reconnecting" and restarts a camera thread that died.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.scanning import (
    CameraWorker,
    DocumentKind,
    FrameAssessment,
    StabilityTracker,
    assess_frame,
    decode_qr,
)
from kiosk.ui.idle import KioskTimer

if TYPE_CHECKING:
    from kiosk.ui.widgets.camera_view import CameraView

log = logging.getLogger("kiosk.ui.camera")

PREVIEW_MAX_WIDTH = 1280  # cap on the preview's width, whatever the display box
QR_REPEAT_S = 1.0  # the feed itself does not repeat the same QR text more often than this
STOP_WAIT_S = 0.02  # stop() waits this long for an analysis in progress, then lets it finish
WATCHDOG_MS = 1000
MAX_RESTARTS = 3
STALL_S = 3.0  # no frame for this long while "ok": say "reconnecting" instead of a frozen image

_finishing: set[threading.Thread] = set()


def join_finishing(timeout: float = 5.0) -> bool:
    """Wait for analysis threads that stop() left finishing their last frame (tests, shutdown).
    True when none is left."""
    deadline = time.monotonic() + timeout
    for thread in list(_finishing):
        thread.join(max(0.0, deadline - time.monotonic()))
        if not thread.is_alive():
            _finishing.discard(thread)
    return not _finishing


class FeedMode(StrEnum):
    OFF = "off"
    PAUSED = "paused"
    QR = "qr"
    DOCUMENT = "document"


class CameraState(StrEnum):
    """What `status_changed` reports, for the screens' messages."""

    STARTING = "starting"
    OK = "ok"
    RECONNECTING = "reconnecting"
    NOT_FOUND = "not_found"
    STOPPED = "stopped"


def _normalise_status(status: object) -> str:
    """Map whatever the camera worker reports onto CameraState values."""
    raw = str(getattr(status, "value", status)).lower()
    if raw in ("ok", "running", "streaming", "open", "opened", "live"):
        return CameraState.OK
    if "reconnect" in raw or raw in ("lost", "retrying", "stalled"):
        return CameraState.RECONNECTING
    if "not_found" in raw or raw in ("missing", "unavailable", "error", "failed", "no_camera"):
        return CameraState.NOT_FOUND
    if raw in ("stopped", "closed", "ended", "eof"):
        return CameraState.STOPPED
    if raw in ("starting", "opening", "connecting"):
        return CameraState.STARTING
    return raw


@dataclass(frozen=True)
class FeedStats:
    preview_fps: float
    analysis_ms_median: float
    analysis_ms_max: float
    frames_in: int
    frames_analysed: int
    frames_dropped: int


# --------------------------------------------------------------------------- engine adapters


class _SourceAdapter:
    """Gives a minimal source (read/close only, as some fakes are) the FrameSource surface the
    camera worker calls, so a partial source shows "camera not found" instead of killing the
    worker thread."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.fps: float | None = getattr(source, "fps", None) or 30.0

    def open(self) -> None:
        opener = getattr(self._source, "open", None)
        if opener is not None:
            opener()

    def read(self) -> np.ndarray | None:
        frame: np.ndarray | None = self._source.read()
        return frame

    def release(self) -> None:
        closer = getattr(self._source, "release", None) or getattr(self._source, "close", None)
        if closer is not None:
            closer()

    def describe(self) -> str:
        return type(self._source).__name__


def as_frame_source(source: Any) -> Any:
    """`source` itself when it has the whole FrameSource surface, else a thin adapter."""
    if all(hasattr(source, name) for name in ("fps", "open", "read", "release", "describe")):
        return source
    return _SourceAdapter(source)


def _default_worker_factory(
    source: Any, on_frame: Callable[[np.ndarray, float], None], on_status: Callable[[Any], None]
) -> Any:
    return CameraWorker(as_frame_source(source), on_frame, on_status)


# --------------------------------------------------------------------------- the feed


class CameraFeed(QObject):
    """Owns one camera worker and one analysis thread; talks to the UI only through signals."""

    frame_ready = Signal(QImage, object)  # preview image, latest FrameAssessment (or None)
    assessed = Signal(object, float)  # FrameAssessment, hold-still progress 0-1 (document mode)
    qr_found = Signal(str)
    capture_ready = Signal(object, object)  # full-resolution BGR frame, corners (TL, TR, BR, BL)
    status_changed = Signal(str)  # a CameraState value

    # Internal: worker threads post here; delivered on the UI thread (queued, coalesced).
    _post_preview = Signal()
    _post_analysis = Signal()
    _post_qr = Signal(str, int)
    _post_capture = Signal(object, object, int)
    _post_status = Signal(str)

    def __init__(
        self,
        open_source: Callable[[], Any],
        *,
        parent: QObject | None = None,
        worker_factory: Callable[..., Any] | None = None,
        assess: Callable[..., FrameAssessment] | None = None,
        decode_qr_fn: Callable[[np.ndarray], list[str]] | None = None,
        thresholds: Any = None,
        preview_max_width: int = PREVIEW_MAX_WIDTH,
    ) -> None:
        super().__init__(parent)
        self._open_source = open_source
        self._worker_factory = worker_factory or _default_worker_factory
        self._assess = assess or assess_frame
        self._decode_qr = decode_qr_fn or decode_qr
        self._thresholds = thresholds
        self._preview_max_width = preview_max_width
        self._display_box: tuple[int, int] | None = None
        self._hold = StabilityTracker(thresholds)

        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._mode = FeedMode.OFF
        self._generation = 0
        self._kind: DocumentKind | None = None
        self._mailbox: tuple[np.ndarray, float, int] | None = None
        self._preview: tuple[QImage, FrameAssessment | None] | None = None
        self._preview_posted = False
        self._analysis: tuple[FrameAssessment, float] | None = None
        self._analysis_posted = False
        self._latest: tuple[np.ndarray, FrameAssessment] | None = None
        self._previous: FrameAssessment | None = None
        self._last_qr: tuple[str, float] = ("", 0.0)
        self._closing = False

        self._worker: Any = None
        self._analyser: threading.Thread | None = None
        self.status = CameraState.STOPPED.value

        self._arrivals: deque[float] = deque(maxlen=60)
        self._last_frame_at = 0.0
        self._stalled = False
        self._restarts = 0
        # Real time on purpose: it watches real camera frames, not the citizen's visit.
        self._watchdog = KioskTimer(WATCHDOG_MS, name="camera_watchdog", parent=self)
        self._watchdog.timeout.connect(self._check_health)
        self._analysis_ms: deque[float] = deque(maxlen=300)
        self._frames_in = 0
        self._frames_analysed = 0
        self._frames_dropped = 0

        queued = Qt.ConnectionType.QueuedConnection
        self._post_preview.connect(self._deliver_preview, queued)
        self._post_analysis.connect(self._deliver_analysis, queued)
        self._post_qr.connect(self._deliver_qr, queued)
        self._post_capture.connect(self._deliver_capture, queued)
        self._post_status.connect(self._deliver_status, queued)

    # ------------------------------------------------------------------ control (UI thread)

    @property
    def mode(self) -> FeedMode:
        return self._mode

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start_qr(self) -> None:
        """Read QR codes (no document analysis)."""
        self._set_mode(FeedMode.QR, None)

    def start_document(self, kind: DocumentKind | str) -> None:
        """Guide and auto-capture a document of this kind (the hold-still gate restarts)."""
        self._set_mode(FeedMode.DOCUMENT, DocumentKind(kind))

    def pause(self) -> None:
        """Keep the camera open but stop previews and analysis (e.g. while a capture is saved)."""
        with self._lock:
            self._mode = FeedMode.PAUSED
            self._generation += 1
            self._mailbox = None

    def resume(self) -> None:
        """Back to the previous kind of work after pause()."""
        if self._kind is not None:
            self.start_document(self._kind)
        else:
            self.start_qr()

    def stop(self) -> None:
        """Stop both threads; safe to call twice. Nothing is delivered afterwards.

        The camera thread is joined (the device must be free for the next page). The analysis
        thread is joined if it is idle or finishes within STOP_WAIT_S; otherwise it ends on its
        own after the frame in hand (`join_finishing()` waits for such threads)."""
        with self._wake:
            self._closing = True
            self._mode = FeedMode.OFF
            self._generation += 1
            self._mailbox = None
            analyser, self._analyser = self._analyser, None
            self._wake.notify_all()
        self._watchdog.stop()
        worker, self._worker = self._worker, None
        if worker is not None:
            try:
                worker.stop()
            finally:
                if isinstance(worker, threading.Thread) and worker.is_alive():
                    worker.join(timeout=5)
        _finishing.difference_update([t for t in _finishing if not t.is_alive()])
        if analyser is not None:
            analyser.join(timeout=STOP_WAIT_S)
            if analyser.is_alive():
                # Busy with one last frame, whose result is already void (new generation): let it
                # end by itself rather than hold up the page switch (a first analysis can take a
                # few hundred ms while OpenCV warms up). It exits as soon as that frame is done.
                _finishing.add(analyser)
        with self._lock:
            self._preview = self._analysis = self._latest = self._previous = None
        self._set_status(CameraState.STOPPED)

    def latest(self) -> tuple[np.ndarray, FrameAssessment] | None:
        """The last analysed full-resolution frame and its assessment (manual capture)."""
        with self._lock:
            return self._latest

    def stats(self) -> FeedStats:
        with self._lock:
            arrivals = list(self._arrivals)
            ms = list(self._analysis_ms)
            fin, fan, fdr = self._frames_in, self._frames_analysed, self._frames_dropped
        fps = 0.0
        if len(arrivals) >= 2 and arrivals[-1] > arrivals[0]:
            fps = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        return FeedStats(
            fps, statistics.median(ms) if ms else 0.0, max(ms) if ms else 0.0, fin, fan, fdr
        )

    def _set_mode(self, mode: FeedMode, kind: DocumentKind | None) -> None:
        with self._wake:
            self._mode = mode
            self._kind = kind
            self._generation += 1
            self._mailbox = None
            self._latest = self._previous = self._analysis = None
            self._hold.reset()
            self._last_qr = ("", 0.0)
        self._ensure_running()

    def _ensure_running(self) -> None:
        if self._worker is not None:
            return
        self._set_status(CameraState.STARTING)
        try:
            source = self._open_source()
            self._worker = self._worker_factory(source, self._on_frame, self._on_status)
        except Exception:
            log.exception("camera could not be opened")
            self._worker = None
            self._set_status(CameraState.NOT_FOUND)
            return
        analyser = threading.Thread(target=self._analysis_loop, name="kiosk-analysis", daemon=True)
        with self._lock:
            self._closing = False
            self._analyser = analyser  # the loop runs while it is the feed's current analyser
        analyser.start()
        self._last_frame_at = time.monotonic()
        self._stalled = False
        if not self._worker.is_alive():
            self._worker.start()
        self._watchdog.start()

    @Slot()
    def _check_health(self) -> None:
        """UI thread, once a second: the preview must never freeze silently."""
        worker = self._worker
        if worker is None or self._mode is FeedMode.OFF:
            return
        if not worker.is_alive():
            # The camera thread died (an exception in a driver or source): start a fresh one,
            # a few times; then say the camera is not available (the screens explain it).
            mode, kind = self._mode, self._kind
            self.stop()
            self._restarts += 1
            if self._restarts > MAX_RESTARTS:
                log.error("camera thread keeps failing; giving up")
                self._set_status(CameraState.NOT_FOUND)
                return
            log.error("camera thread ended unexpectedly; restarting it")
            if mode is FeedMode.DOCUMENT and kind is not None:
                self.start_document(kind)
            elif mode is FeedMode.QR:
                self.start_qr()
            return
        silent = time.monotonic() - self._last_frame_at
        if silent > STALL_S and self.status == CameraState.OK and not self._stalled:
            self._stalled = True
            self._set_status(CameraState.RECONNECTING)

    # ------------------------------------------------------------------ camera thread

    def _on_status(self, status: object) -> None:
        self._post_status.emit(_normalise_status(status))

    def _on_frame(self, frame: np.ndarray, ts: float) -> None:
        now = time.monotonic()
        self._last_frame_at = now
        with self._wake:
            if self._mode in (FeedMode.OFF, FeedMode.PAUSED):
                return
            self._frames_in += 1
            self._arrivals.append(now)
            if self._mailbox is not None:
                self._frames_dropped += 1  # analysis is busy: the older frame is never analysed
            self._mailbox = (frame, ts, self._generation)
            self._wake.notify()
            assessment = self._analysis[0] if self._analysis else None
        image = self._to_qimage(frame)
        with self._lock:
            if self._mode in (FeedMode.OFF, FeedMode.PAUSED):
                return
            self._preview = (image, assessment)
            post = not self._preview_posted
            self._preview_posted = True
        if post:
            self._post_preview.emit()

    def set_display_size(self, width: int, height: int) -> None:
        """The preview's on-screen box: frames are scaled to fit it here, on the camera thread,
        so the UI thread only blits (a scaled drawImage costs it several ms a frame)."""
        self._display_box = (max(1, width), max(1, height)) if width > 0 and height > 0 else None

    def _to_qimage(self, frame: np.ndarray) -> QImage:
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        h, w = frame.shape[:2]
        box = self._display_box
        scale = min(box[0] / w, box[1] / h) if box else 1.0
        scale = min(scale, self._preview_max_width / w)
        if abs(scale - 1.0) > 1e-3:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
        # 32-bit BGRA is Qt's native RGB32 layout: painting it needs no per-pixel conversion.
        bgra = cv2.cvtColor(np.ascontiguousarray(frame[:, :, :3]), cv2.COLOR_BGR2BGRA)
        h, w = bgra.shape[:2]
        # .copy(): the QImage must own its pixels, the numpy buffer dies with this call.
        return QImage(bgra.data, w, h, bgra.strides[0], QImage.Format.Format_RGB32).copy()

    # ------------------------------------------------------------------ analysis thread

    def _analysis_loop(self) -> None:
        me = threading.current_thread()
        while True:
            with self._wake:
                while self._mailbox is None and not self._closing and self._analyser is me:
                    self._wake.wait()
                if self._closing or self._analyser is not me:
                    return
                assert self._mailbox is not None
                frame, ts, generation = self._mailbox
                self._mailbox = None
                mode = self._mode
                previous = self._previous
            try:
                if mode is FeedMode.QR:
                    self._analyse_qr(frame, generation)
                elif mode is FeedMode.DOCUMENT:
                    self._analyse_document(frame, ts, generation, previous)
            except Exception:
                # A bad frame must not kill the preview; the next frame gets a fresh try.
                log.exception("frame analysis failed")

    def _analyse_qr(self, frame: np.ndarray, generation: int) -> None:
        t0 = time.perf_counter()
        texts = self._decode_qr(frame)
        self._record_ms(t0)
        now = time.monotonic()
        for text in texts:
            with self._lock:
                if generation != self._generation:
                    return
                last_text, last_at = self._last_qr
                if text == last_text and now - last_at < QR_REPEAT_S:
                    continue
                self._last_qr = (text, now)
                # Emitted under the lock: stop() bumps the generation under it too, so nothing is
                # posted once stop() has begun (the feed may be deleted right after).
                self._post_qr.emit(text, generation)

    def _analyse_document(
        self, frame: np.ndarray, ts: float, generation: int, previous: FrameAssessment | None
    ) -> None:
        t0 = time.perf_counter()
        assessment = self._assess(frame, thresholds=self._thresholds, previous=previous)
        self._record_ms(t0)
        with self._lock:
            if generation != self._generation:
                return
            state = self._hold.update(assessment, ts)
            steady_s = self._hold.steady_seconds
            progress = min(1.0, state.held_for / steady_s) if steady_s > 0 else 1.0
            ready = state.ready
            self._previous = assessment
            self._latest = (frame, assessment)
            self._analysis = (assessment, progress)
            if not self._analysis_posted:
                self._analysis_posted = True
                self._post_analysis.emit()  # under the lock: see _analyse_qr
            if ready and assessment.document is not None:
                self._post_capture.emit(frame, assessment.document, generation)

    def _record_ms(self, t0: float) -> None:
        ms = (time.perf_counter() - t0) * 1000.0
        with self._lock:
            self._analysis_ms.append(ms)
            self._frames_analysed += 1

    # ------------------------------------------------------------------ UI thread delivery

    @Slot()
    def _deliver_preview(self) -> None:
        with self._lock:
            item, self._preview = self._preview, None
            self._preview_posted = False
        if self._stalled:  # frames flow again after a stall the worker did not report
            self._stalled = False
            self._set_status(CameraState.OK)
        if item is not None:
            self.frame_ready.emit(item[0], item[1])

    @Slot()
    def _deliver_analysis(self) -> None:
        with self._lock:
            item = self._analysis
            self._analysis_posted = False
        if item is not None:
            self.assessed.emit(item[0], item[1])

    @Slot(str, int)
    def _deliver_qr(self, text: str, generation: int) -> None:
        if generation == self._generation and self._mode is FeedMode.QR:
            self.qr_found.emit(text)

    @Slot(object, object, int)
    def _deliver_capture(self, frame: object, corners: object, generation: int) -> None:
        if generation == self._generation and self._mode is FeedMode.DOCUMENT:
            self.capture_ready.emit(frame, corners)

    @Slot(str)
    def _deliver_status(self, status: str) -> None:
        if self._worker is not None:
            self._set_status(status)

    def _set_status(self, status: str) -> None:
        status = str(status)
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)


# --------------------------------------------------------------------------- slow calls


_in_flight: set[QObject] = set()


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


def run_off_ui(
    fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
) -> None:
    """Run `fn` on Qt's global thread pool; `on_done(result)` / `on_error(exc)` run on the UI
    thread (queued). Callers guard against stale results themselves (e.g. a generation number).
    """
    from PySide6.QtCore import QRunnable, QThreadPool

    relay = _Relay()  # created on the UI thread: its signals are delivered there
    _in_flight.add(relay)  # kept alive until its result has been delivered

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _in_flight.discard(relay)
        relay.deleteLater()
        callback(value)

    relay.done.connect(lambda r: finish(on_done, r), Qt.ConnectionType.QueuedConnection)
    relay.failed.connect(lambda e: finish(on_error, e), Qt.ConnectionType.QueuedConnection)

    class _Job(QRunnable):
        def run(self) -> None:
            try:
                result = fn()
            except Exception as exc:  # delivered to the screen, which explains it calmly
                relay.failed.emit(exc)
            else:
                relay.done.emit(result)

    job = _Job()
    job.setAutoDelete(True)
    QThreadPool.globalInstance().start(job)


def decode_thumbnail(data: bytes, content_type: str, max_side: int = 480) -> QImage | None:
    """A small QImage of an encoded JPEG (None for PDFs or undecodable bytes).

    Call off the UI thread: decoding a 1 MB page takes tens of milliseconds (a half-size decode
    cuts that several times)."""
    if content_type != "image/jpeg" or not data:
        return None
    buf = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_2)
    if img is None:
        return None
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        img = cv2.resize(
            img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    return QImage(img.data, w, h, img.strides[0], QImage.Format.Format_BGR888).copy()


def open_feed_for(view: CameraView, open_camera: Callable[[], Any], parent: QObject) -> CameraFeed:
    """A camera feed whose previews are scaled, on the camera thread, to `view`'s size."""
    feed = CameraFeed(open_camera, parent=parent)
    feed.set_display_size(view.width(), view.height())
    view.display_resized.connect(feed.set_display_size)
    return feed


def release_feed(feed: CameraFeed | None) -> None:
    """Stop the camera thread (the device is free for the next page) and let Qt delete it."""
    if feed is not None:
        feed.stop()
        feed.deleteLater()
