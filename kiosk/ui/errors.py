"""One error funnel: an unexpected exception never shows a traceback to a citizen.

`ErrorFunnel.install()` takes over sys.excepthook (exceptions escaping Qt slots and virtuals end
there in PySide6) and threading.excepthook; it logs what a technician needs — exception type
and the code locations, NOT the message or local values, which may carry personal data — then
asks the window to show its out-of-order page, which recovers to home after a delay.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("kiosk.ui")


def describe(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type and stack locations only (file:line in function), no message, no values."""
    frames = traceback.extract_tb(tb)[-8:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}"
                        for f in reversed(frames))
    return f"{exc_type.__module__}.{exc_type.__qualname__} at {where or '?'}"


class ErrorFunnel(QObject):
    # Emitted from any thread; connected (queued when needed) to the window's UI thread.
    failed = Signal(str)

    def __init__(self, on_failure: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.failed.connect(on_failure)
        self._previous_sys: Callable[..., object] | None = None
        self._previous_thread: Callable[..., object] | None = None
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        self._previous_sys = sys.excepthook
        self._previous_thread = threading.excepthook
        sys.excepthook = self.handle
        threading.excepthook = self._thread_hook
        self.installed = True

    def uninstall(self) -> None:
        if not self.installed:
            return
        if sys.excepthook == self.handle:
            sys.excepthook = self._previous_sys or sys.__excepthook__
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread or threading.__excepthook__
        self.installed = False

    def handle(self, exc_type: type[BaseException], exc: BaseException | None,
               tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            if self._previous_sys is not None:
                self._previous_sys(exc_type, exc, tb)
            return
        summary = describe(exc_type, tb)
        log.error("unexpected error: %s", summary)
        # Hooks chain in install order; one whose window is gone may still be reached through
        # a later window's "previous" hook. It has nothing left to show.
        with contextlib.suppress(RuntimeError):
            self.failed.emit(exc_type.__name__)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)
