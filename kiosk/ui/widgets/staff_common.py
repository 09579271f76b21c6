"""Building blocks of the staff panel: check rows, +/- steppers, the PIN keypad, and a
background job runner (so no staff action ever blocks the UI thread)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.diagnostics import Check, Status
from kiosk.i18n import Translator
from kiosk.ui.widgets.common import clear_layout

log = logging.getLogger("kiosk.ui.staff")

STAFF_TOUCH_PX = 80  # comfortably above the 64 px floor, for gloved technicians too


def staff_label(text: str = "", role: str = "", *, name: str = "", wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # log lines and errors are data, not markup
    widget.setWordWrap(wrap)
    if role:
        widget.setProperty("staffRole", role)
    if name:
        widget.setObjectName(name)
    return widget


def staff_button(
    text: str, role: str = "", *, name: str = "", checkable: bool = False
) -> QPushButton:
    widget = QPushButton(text)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    widget.setMinimumHeight(STAFF_TOUCH_PX)
    widget.setCheckable(checkable)
    if role:
        widget.setProperty("staffRole", role)
    if name:
        widget.setObjectName(name)
    return widget


def restyle(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


# ---------------------------------------------------------------- check list


class CheckRow(QFrame):
    """One reading: a coloured status pill, the name, the value, and the detail below."""

    def __init__(self, check: Check, tr: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setObjectName(f"check_{check.id}")
        self.setProperty("staffRole", "checkRow")
        self.setProperty("status", check.status.value)
        grid = QGridLayout(self)
        grid.setContentsMargins(20, 12, 20, 12)
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(2)
        pill = staff_label(tr(f"staff.status_{check.status.value}"), "pill", wrap=False)
        pill.setProperty("status", check.status.value)
        pill.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pill.setFixedWidth(150)
        name = staff_label(tr(check.label_key), "checkName")
        value = staff_label(check.value, "checkValue", wrap=False)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(pill, 0, 0, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(name, 0, 1)
        grid.addWidget(value, 0, 2)
        if check.detail:
            detail = staff_label(check.detail, "checkDetail")
            grid.addWidget(detail, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)


class CheckList(QWidget):
    def __init__(self, tr: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tr_ = tr
        self.checks: list[Check] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(10)

    def set_checks(self, checks: Sequence[Check]) -> None:
        clear_layout(self._layout)
        self.checks = list(checks)
        for check in checks:
            self._layout.addWidget(CheckRow(check, self.tr_))
        self._layout.addStretch(1)

    def summary(self) -> str:
        counts = {s: sum(1 for c in self.checks if c.status is s) for s in Status}
        return self.tr_(
            "staff.summary",
            ok=counts[Status.OK],
            warn=counts[Status.WARN],
            fail=counts[Status.FAIL],
        )


# ---------------------------------------------------------------- stepper


class Stepper(QFrame):
    """A number edited with big − / + buttons. No upper clamp beyond `maximum`: the settings'
    own validation is the single source of truth for what is acceptable."""

    valueChanged = Signal(int)  # noqa: N815 - Qt naming

    def __init__(
        self,
        value: int,
        *,
        step: int,
        minimum: int = 0,
        maximum: int = 10_000,
        unit: str = "",
        name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setProperty("staffRole", "stepper")
        if name:
            self.setObjectName(name)
        self._value, self.step, self.minimum, self.maximum = value, step, minimum, maximum
        self.unit = unit
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self.minus = staff_button("−", "stepButton", name=f"{name}_minus" if name else "")
        self.plus = staff_button("+", "stepButton", name=f"{name}_plus" if name else "")
        for b in (self.minus, self.plus):
            b.setFixedSize(STAFF_TOUCH_PX + 8, STAFF_TOUCH_PX + 8)
            b.setAutoRepeat(True)  # hold to move fast
            b.setAutoRepeatDelay(400)
            b.setAutoRepeatInterval(120)
        self.display = staff_label("", "stepValue", wrap=False)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setMinimumWidth(190)
        row.addWidget(self.minus)
        row.addWidget(self.display)
        row.addWidget(self.plus)
        self.minus.clicked.connect(self._down)
        self.plus.clicked.connect(self._up)
        self._show()

    def value(self) -> int:
        return self._value

    def set_value(self, value: int) -> None:
        value = max(self.minimum, min(self.maximum, value))
        if value != self._value:
            self._value = value
            self._show()
            self.valueChanged.emit(value)

    def _down(self) -> None:
        self.set_value(self._value - self.step)

    def _up(self) -> None:
        self.set_value(self._value + self.step)

    def _show(self) -> None:
        self.display.setText(f"{self._value} {self.unit}".strip())


# ---------------------------------------------------------------- PIN keypad


class PinKeypad(QWidget):
    """Digits 1–9, 0, erase and clear, as a 3×4 grid of big keys."""

    digit = Signal(str)
    erase = Signal()
    clear = Signal()

    def __init__(self, tr: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(12)
        grid.setContentsMargins(0, 0, 0, 0)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]
        for i, key in enumerate(keys):
            if key == "C":
                b = staff_button(tr("staff.pin_clear"), "key", name="key_clear")
                b.clicked.connect(self.clear)
            elif key == "⌫":
                b = staff_button("⌫", "key", name="key_erase")
                b.setAccessibleName(tr("staff.pin_erase"))
                b.clicked.connect(self.erase)
            else:
                b = staff_button(key, "key", name=f"key_{key}")
                b.clicked.connect(lambda _=False, d=key: self.digit.emit(d))
            b.setMinimumSize(120, 96)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            grid.addWidget(b, i // 3, i % 3)


# ---------------------------------------------------------------- background jobs


class _JobSignals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _JobSignals) -> None:
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # shown to the technician; the traceback goes to the log
            log.exception("staff job failed")
            signal, value = self.signals.failed, f"{type(exc).__name__}: {exc}"
        else:
            signal, value = self.signals.done, result
        # RuntimeError: the panel closed while we worked, nobody is waiting
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class JobRunner(QObject):
    """Runs a callable on the global thread pool; the result comes back on the UI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: dict[_JobSignals, tuple[Callable[[Any], None], Callable[[str], None]]] = {}

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None],
    ) -> None:
        # The runner (a QObject of the UI thread) is the receiver, so the pool thread's emits are
        # queued and the callbacks always run on the UI thread.
        signals = _JobSignals(self)
        self._live[signals] = (on_done, on_failed)
        signals.done.connect(self._done)
        signals.failed.connect(self._failed)
        QThreadPool.globalInstance().start(_Job(fn, signals))

    def _take(self) -> tuple[Callable[[Any], None], Callable[[str], None]] | None:
        signals = self.sender()
        callbacks = self._live.pop(signals, None)  # type: ignore[call-overload]
        if signals is not None:
            signals.deleteLater()
        return callbacks  # type: ignore[no-any-return]

    def _done(self, result: object) -> None:
        callbacks = self._take()
        if callbacks is not None:
            callbacks[0](result)

    def _failed(self, message: str) -> None:
        callbacks = self._take()
        if callbacks is not None:
            callbacks[1](message)

    @property
    def busy(self) -> bool:
        return bool(self._live)
