"""The UI owns its clock and its timers: wrapped timers and the idle watcher.

Every periodic or delayed action of the UI goes through `KioskTimer`, so tests can list the active
ones (none may outlive a test) and fire them by hand, and every duration is measured with the
injected `Clock.monotonic` rather than Qt's own clock — so a test advances a fake clock, ticks,
and sees exactly what a citizen would see N seconds later.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from kiosk.domain.ports import Clock

_timers: weakref.WeakSet[KioskTimer] = weakref.WeakSet()


class KioskTimer(QObject):
    """A QTimer that registers itself, so leaks are visible and tests can fire it."""

    timeout = Signal()

    def __init__(self, interval_ms: int, *, single_shot: bool = False, name: str = "",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name or "kiosk_timer")
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.setSingleShot(single_shot)
        self._timer.timeout.connect(self.timeout)
        _timers.add(self)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return self._timer.isActive()

    def fire(self) -> None:
        """Tests: behave as if the interval elapsed now (stops a single-shot timer first)."""
        if self._timer.isSingleShot():
            self._timer.stop()
        self.timeout.emit()


def active_timers() -> list[KioskTimer]:
    """Timers of ours that are still running (tests fail if any survives a test)."""
    alive = []
    for timer in list(_timers):
        try:
            if timer.is_active():
                alive.append(timer)
        except RuntimeError:  # the C++ object is gone: not running
            continue
    return alive


_INPUT_EVENTS = frozenset({
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
})


class IdleWatcher(QObject):
    """Watches for touches during a visit and asks "¿Sigue ahí?" before wiping it.

    States: quiet → (idle_timeout_s without input) → warning with a countdown of idle_warning_s
    → expired. Any touch or key anywhere in the application goes back to quiet.
    """

    warning = Signal(int)  # seconds left; emitted on every tick while warning
    resumed = Signal()  # the citizen touched the screen during the warning
    expired = Signal()

    TICK_MS = 250

    def __init__(self, clock: Clock, timeout_s: float, warning_s: float,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.timeout_s = timeout_s
        self.warning_s = warning_s
        self._last_input = clock.monotonic()
        self._armed = False
        self._warning = False
        self._filtering = False
        self.timer = KioskTimer(self.TICK_MS, name="idle_tick", parent=self)
        self.timer.timeout.connect(self.tick)

    # ------------------------------------------------------------------ control

    @property
    def armed(self) -> bool:
        return self._armed

    @property
    def warning_shown(self) -> bool:
        return self._warning

    def arm(self) -> None:
        """A visit is in progress: start counting from now."""
        self._install_filter()
        if not self._armed:
            self._armed = True
            self.poke()
            self.timer.start()

    def disarm(self) -> None:
        """No visit (home screen) or shutting down: nothing to time out."""
        self._armed = False
        self.timer.stop()
        if self._warning:
            self._warning = False
            self.resumed.emit()

    def shutdown(self) -> None:
        self.disarm()
        app = QApplication.instance()
        if self._filtering and app is not None:
            app.removeEventFilter(self)
        self._filtering = False

    def _install_filter(self) -> None:
        app = QApplication.instance()
        if not self._filtering and app is not None:
            app.installEventFilter(self)
            self._filtering = True

    def poke(self) -> None:
        """The citizen is there (a touch, a key, "Sí, continuar")."""
        self._last_input = self.clock.monotonic()
        if self._warning:
            self._warning = False
            self.resumed.emit()

    def seconds_idle(self) -> float:
        return self.clock.monotonic() - self._last_input

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        if not self._armed:
            return
        idle = self.seconds_idle()
        if idle >= self.timeout_s + self.warning_s:
            self._warning = False
            self.disarm()
            self.expired.emit()
        elif idle >= self.timeout_s:
            self._warning = True
            left = max(1, int(self.timeout_s + self.warning_s - idle + 0.999))
            self.warning.emit(left)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._armed and event.type() in _INPUT_EVENTS:
            self.poke()
        return False


def single_shot(
    parent: QObject, ms: int, callback: Callable[[], None], name: str = ""
) -> KioskTimer:
    """A registered one-shot timer owned by `parent` (stopped with it)."""
    timer = KioskTimer(ms, single_shot=True, name=name, parent=parent)
    timer.timeout.connect(callback)
    return timer
