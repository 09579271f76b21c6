"""Camera sources and the worker thread that feeds frames to the kiosk.

Devices and demo videos go through the same cv2.VideoCapture code path, so the demo exercises
what production runs. The worker owns the source: it opens it, paces file sources at their frame
rate, reconnects with backoff when a device disappears, and reports its status by callback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

log = logging.getLogger("kiosk.scanning.camera")


class CameraError(RuntimeError):
    """A source could not be opened or read."""


class CameraStatus(StrEnum):
    OK = "ok"
    RECONNECTING = "reconnecting"
    NOT_FOUND = "not_found"
    STOPPED = "stopped"


@runtime_checkable
class FrameSource(Protocol):
    """Anything that yields BGR frames. ``fps`` is the pacing rate for recorded media, or None for
    live devices (which pace themselves)."""

    fps: float | None

    def open(self) -> None:
        """Open the source; raise CameraError when it does not exist or cannot be opened."""

    def read(self) -> np.ndarray | None:
        """The next frame, or None when the source failed (device unplugged, end of file)."""

    def release(self) -> None: ...

    def describe(self) -> str:
        """Human-readable name for logs and the diagnostics screen (no personal data)."""


class _CaptureSource:
    def __init__(self, target: int | str, fps: float | None) -> None:
        self._target = target
        self._cap: cv2.VideoCapture | None = None
        self.fps = fps

    def _configure(self, cap: cv2.VideoCapture) -> None:
        pass

    def open(self) -> None:
        self.release()
        cap = (
            cv2.VideoCapture(self._target, cv2.CAP_V4L2)
            if isinstance(self._target, int)
            else cv2.VideoCapture(str(self._target))
        )
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"cannot open {self.describe()}")
        self._configure(cap)
        self._cap = cap

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, frame = self._cap.read()
        return frame if ok and frame is not None and frame.size else None

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def describe(self) -> str:
        return str(self._target)


class DeviceSource(_CaptureSource):
    """A V4L2 camera by index (0 = /dev/video0) or device path, at a requested size and rate."""

    def __init__(
        self, index_or_path: int | str, width: int = 1280, height: int = 720, fps: float = 30.0
    ) -> None:
        super().__init__(index_or_path, None)
        self.width, self.height, self.requested_fps = width, height, fps

    def _configure(self, cap: cv2.VideoCapture) -> None:
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.requested_fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # always the newest frame: low latency matters more

    def describe(self) -> str:
        return f"camera {self._target} ({self.width}×{self.height} @ {self.requested_fps:g} fps)"


class FileSource(_CaptureSource):
    """A video file read through cv2.VideoCapture, looped by default, paced at its own fps."""

    def __init__(self, path: str | Path, loop: bool = True, fps: float | None = None) -> None:
        super().__init__(str(path), fps)
        self.path = Path(path)
        self.loop = loop

    def open(self) -> None:
        if not self.path.is_file():
            raise CameraError(f"video file not found: {self.path}")
        super().open()
        if self.fps is None and self._cap is not None:
            rate = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
            self.fps = rate if 1.0 <= rate <= 240.0 else 15.0

    def read(self) -> np.ndarray | None:
        frame = super().read()
        if frame is None and self.loop and self._cap is not None:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            frame = super().read()
        return frame

    def describe(self) -> str:
        return f"file {self.path.name}"


class ImageSequenceSource:
    """Still images shown in a loop at ``fps`` (tests, and stills in the demo)."""

    def __init__(self, paths: Sequence[str | Path], fps: float = 10.0, loop: bool = True) -> None:
        self.paths = [Path(p) for p in paths]
        self.fps: float | None = fps
        self.loop = loop
        self._frames: list[np.ndarray] = []
        self._i = 0

    def open(self) -> None:
        frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in self.paths]
        missing = [p.name for p, f in zip(self.paths, frames, strict=True) if f is None]
        if not self.paths or missing:
            raise CameraError(f"cannot read images: {missing or 'none given'}")
        self._frames = [f for f in frames if f is not None]
        self._i = 0

    def read(self) -> np.ndarray | None:
        if not self._frames:
            return None
        if self._i >= len(self._frames):
            if not self.loop:
                return None
            self._i = 0
        frame = self._frames[self._i]
        self._i += 1
        return frame.copy()

    def release(self) -> None:
        self._frames = []

    def describe(self) -> str:
        return f"{len(self.paths)} images"


FrameCallback = Callable[[np.ndarray, float], None]
StatusCallback = Callable[[CameraStatus], None]


class CameraWorker(threading.Thread):
    """Reads frames on its own thread and hands each to ``on_frame(frame, timestamp)``.

    Timestamps are time.monotonic() seconds. Status changes go to ``on_status``: OK once frames
    flow, RECONNECTING while retrying a failed source (backoff 0.25 s doubling to ``max_backoff``),
    NOT_FOUND when it cannot be opened (it keeps retrying), STOPPED after ``stop()``. Callbacks run
    on the worker thread: a Qt UI must forward them with a queued signal. Exceptions raised by a
    callback are logged, never kill the thread.
    """

    def __init__(
        self,
        source: FrameSource,
        on_frame: FrameCallback,
        on_status: StatusCallback | None = None,
        *,
        max_backoff: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="camera-worker", daemon=True)
        self._source = source
        self._pending: FrameSource | None = None
        self._on_frame = on_frame
        self._on_status = on_status
        self._max_backoff = max_backoff
        self._clock = clock
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._times: deque[float] = deque(maxlen=30)
        self.status: CameraStatus | None = None
        self.frames_delivered = 0

    @property
    def source(self) -> FrameSource:
        return self._source

    @property
    def fps(self) -> float:
        """Measured delivery rate over the last 30 frames (0 until two frames arrived)."""
        with self._lock:
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def switch_source(self, new_source: FrameSource) -> None:
        """Replace the source; takes effect before the next frame (the old one is released)."""
        with self._lock:
            self._pending = new_source

    def stop(self, timeout: float = 3.0) -> None:
        """Ask the thread to finish, wait for it, release the source."""
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def _set_status(self, status: CameraStatus) -> None:
        if status != self.status:
            self.status = status
            log.info("camera %s: %s", self._source.describe(), status.value)
            if self._on_status is not None:
                try:
                    self._on_status(status)
                except Exception:
                    log.exception("camera status callback failed")

    def _open(self) -> bool:
        backoff = 0.25
        first = True
        while not self._stop_event.is_set():
            if self._take_pending():
                first = True
            try:
                self._source.open()
                return True
            except CameraError as exc:
                log.warning("%s", exc)
                self._set_status(CameraStatus.NOT_FOUND if first else CameraStatus.RECONNECTING)
                first = False
            self._stop_event.wait(backoff)
            backoff = min(backoff * 2, self._max_backoff)
        return False

    def _take_pending(self) -> bool:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return False
        self._source.release()
        self._source = pending
        with self._lock:
            self._times.clear()
        return True

    def run(self) -> None:
        try:
            self._loop()
        finally:
            self._source.release()
            self._set_status(CameraStatus.STOPPED)

    def _loop(self) -> None:
        if not self._open():
            return
        next_due = self._clock()
        backoff = 0.25
        while not self._stop_event.is_set():
            if self._take_pending() and not self._open():
                return
            frame = self._source.read()
            if frame is None:
                self._set_status(CameraStatus.RECONNECTING)
                self._source.release()
                if self._stop_event.wait(backoff):
                    return
                backoff = min(backoff * 2, self._max_backoff)
                try:
                    self._source.open()
                except CameraError as exc:
                    log.warning("%s", exc)
                next_due = self._clock()
                continue
            backoff = 0.25
            now = self._clock()
            self._set_status(CameraStatus.OK)
            with self._lock:
                self._times.append(now)
            self.frames_delivered += 1
            try:
                self._on_frame(frame, now)
            except Exception:
                log.exception("frame callback failed")
            fps = self._source.fps
            if fps:
                next_due = max(next_due + 1.0 / fps, self._clock() - 1.0 / fps)
                delay = next_due - self._clock()
                if delay > 0 and self._stop_event.wait(delay):
                    return
