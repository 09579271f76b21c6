"""The staff / technician panel, behind a PIN.

`open_staff_panel(parent, services, on_settings_changed)` asks for the PIN (`PinDialog`), then
shows `StaffPanel`: diagnostics, printer test, sync (force sync, offline export), the PII-free
log viewer, settings (validated, audited, applied live through `on_settings_changed`) and the
end-to-end self-test. Every slow action runs on the thread pool; every staff action is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScroller,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import diagnostics, logs
from kiosk.config import KioskSettings, SettingsError, hash_pin, verify_pin
from kiosk.diagnostics import CameraReading, Check
from kiosk.domain.ports import PrintResult
from kiosk.i18n import LANGUAGES, Translator
from kiosk.ui.idle import KioskTimer
from kiosk.ui.theme import PALETTE, load_fonts
from kiosk.ui.widgets.common import kinetic_scroll
from kiosk.ui.widgets.staff_common import (
    CheckList,
    JobRunner,
    PinKeypad,
    Stepper,
    restyle,
    staff_button,
    staff_label,
)

log = logging.getLogger("kiosk.ui.staff")

ACTOR = "staff"
MAX_PIN_ATTEMPTS = 3
LOCKOUT_S = 60
MAX_PIN_LENGTH = 12
STAFF_IDLE_S = 300  # an abandoned panel on a public kiosk closes itself
_GUARD_KEY = "staff.pin_guard"


# ---------------------------------------------------------------- PIN check (Qt-free)


class PinOutcome(Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class PinResult:
    outcome: PinOutcome
    attempts_left: int = 0
    locked_for_s: int = 0
    just_locked: bool = False  # this attempt caused the lockout






class PinGate:
    """Checks the staff PIN; 3 wrong attempts lock it for 60 s of the injected clock.

    The failure count and lock live in the store, so closing and reopening the dialog (or
    restarting the kiosk) does not reset them.
    """

    def __init__(self, services: Any) -> None:
        self.services = services
        self._memory: dict[str, Any] = {"failures": 0, "locked_until": None}

    @property
    def enabled(self) -> bool:
        return bool(self.services.settings.staff_pin_hash.strip())

    def _load(self) -> dict[str, Any]:
        try:
            state = self.services.store.get_setting(_GUARD_KEY, None)
        except Exception:  # a store problem must not lock staff out of the diagnostics
            state = None
        return dict(state) if isinstance(state, dict) else dict(self._memory)

    def _save(self, state: dict[str, Any]) -> None:
        self._memory = dict(state)
        try:
            self.services.store.set_setting(_GUARD_KEY, state)
        except Exception:
            log.error("staff PIN guard not persisted")

    def locked_for(self) -> int:
        """Seconds left of a lockout (0 = not locked)."""
        until = self._load().get("locked_until")
        if not until:
            return 0
        left = (datetime.fromisoformat(until) - self.services.clock.now()).total_seconds()
        # capped: a wall clock set backwards must not turn 60 s into hours
        return max(0, min(LOCKOUT_S, int(left + 0.999)))

    def check(self, pin: str) -> PinResult:
        if not self.enabled:
            return PinResult(PinOutcome.DISABLED)
        left = self.locked_for()
        if left:
            return PinResult(PinOutcome.LOCKED, locked_for_s=left)
        if verify_pin(pin, self.services.settings.staff_pin_hash):
            self._save({"failures": 0, "locked_until": None})
            return PinResult(PinOutcome.OK)
        state = self._load()
        failures = int(state.get("failures", 0)) + 1
        if failures >= MAX_PIN_ATTEMPTS:
            until = self.services.clock.now() + timedelta(seconds=LOCKOUT_S)
            self._save({"failures": 0, "locked_until": until.isoformat()})
            return PinResult(PinOutcome.LOCKED, locked_for_s=LOCKOUT_S, just_locked=True)
        self._save({"failures": failures, "locked_until": None})
        return PinResult(PinOutcome.WRONG, attempts_left=MAX_PIN_ATTEMPTS - failures)


def _audit(services: Any, action: str, detail: Any = "") -> None:
    try:
        services.store.audit(ACTOR, action, detail)
    except Exception:  # the action itself already happened; the log keeps the trace
        log.error("audit of %s failed", action)


# ---------------------------------------------------------------- look

_QSS = """
QWidget#StaffPanel, QDialog#PinDialog { background: @bg@; }
QWidget { font-family: "DejaVu Sans"; font-size: 24px; color: @text@; }
QFrame#staffHeader { background: @blue@; min-height: 96px; max-height: 96px; }
QFrame#staffHeader QLabel { color: #FFFFFF; background: transparent; }
QLabel[staffRole="headerTitle"] { font-size: 32px; font-weight: bold; }
QLabel[staffRole="headerInfo"] { font-size: 22px; }
QFrame#staffNav { background: @card@; border-right: 3px solid @border@; }
QPushButton[staffRole="nav"] {
    text-align: left; padding: 0 28px; border: none; border-radius: 0;
    border-left: 10px solid transparent; background: transparent;
    font-size: 26px; font-weight: bold; color: @blue@; min-height: 84px;
}
QPushButton[staffRole="nav"]:checked { background: @blue_light@; border-left-color: @blue@; }
QPushButton[staffRole="nav"]:pressed { background: @blue_light@; }
QPushButton[staffRole="exit"] {
    border: none; border-radius: 0; background: @blue_dark@; color: #FFFFFF;
    font-size: 26px; font-weight: bold; min-height: 96px;
}
QLabel[staffRole="title"] { font-size: 38px; font-weight: bold; color: @blue@; }
QLabel[staffRole="hint"] { color: @muted@; }
QLabel[staffRole="section"] { font-size: 28px; font-weight: bold; color: @blue@; }
QLabel[staffRole="big"] { font-size: 34px; font-weight: bold; }
QLabel[staffRole="mono"] { font-family: "DejaVu Sans Mono"; font-size: 26px; font-weight: bold; }
QLabel[staffRole="message"] {
    background: @card@; border-left: 10px solid @blue@; padding: 14px 18px;
}
QLabel[staffRole="message"][tone="ok"] { border-left-color: @go@; }
QLabel[staffRole="message"][tone="error"] {
    border-left-color: @error@; background: @warn_bg@; color: @error@; font-weight: bold;
}
QLabel[staffRole="message"][tone="warn"] { border-left-color: @accent@; background: @warn_bg@; }
QPushButton {
    background: @card@; color: @blue@; border: 3px solid @blue@; border-radius: 12px;
    padding: 0 28px; font-weight: bold; min-height: 80px;
}
QPushButton:pressed { background: @blue_light@; }
QPushButton:disabled { color: #8A97A6; border-color: #C5D1DE; background: #EEF1F5; }
QPushButton[staffRole="primary"] { background: @blue@; color: #FFFFFF; border-color: @blue@; }
QPushButton[staffRole="primary"]:pressed { background: @blue_dark@; }
QPushButton[staffRole="primary"]:disabled { background: #8A97A6; border-color: #8A97A6; }
QPushButton[staffRole="choice"]:checked { background: @blue@; color: #FFFFFF; }
QPushButton[staffRole="key"] { font-size: 36px; }
QPushButton#key_clear { font-size: 26px; }
QPushButton[staffRole="stepButton"] { font-size: 40px; padding: 0; }
QLabel[staffRole="stepValue"] {
    background: @card@; border: 3px solid @border@; border-radius: 12px;
    font-size: 30px; font-weight: bold; min-height: 82px;
}
QFrame[staffRole="card"] { background: @card@; border: 3px solid @border@; border-radius: 14px; }
QFrame[staffRole="card"] QLabel { background: transparent; }
QFrame[staffRole="checkRow"] {
    background: @card@; border: 2px solid @border@; border-left: 12px solid #8A97A6;
    border-radius: 4px; min-height: 72px;
}
QFrame[staffRole="checkRow"][status="ok"] { border-left-color: @go@; }
QFrame[staffRole="checkRow"][status="warn"] { border-left-color: @accent@; }
QFrame[staffRole="checkRow"][status="fail"] { border-left-color: @error@; background: #FDF0F0; }
QFrame[staffRole="checkRow"] QLabel { background: transparent; }
QFrame[staffRole="checkRow"] QLabel[staffRole="pill"] {
    border-radius: 10px; padding: 6px 10px; font-size: 20px; font-weight: bold;
    color: #FFFFFF; background: #6B7785;
}
QFrame[staffRole="checkRow"] QLabel[staffRole="pill"][status="ok"] { background: @go@; }
QFrame[staffRole="checkRow"] QLabel[staffRole="pill"][status="warn"] {
    background: @accent@; color: #14212E;
}
QFrame[staffRole="checkRow"] QLabel[staffRole="pill"][status="fail"] { background: @error@; }
QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }
QScrollBar:vertical { background: @blue_light@; width: 14px; border-radius: 7px; margin: 0; }
QScrollBar::handle:vertical { background: @blue@; border-radius: 7px; min-height: 60px; }
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical { background: transparent; }
QLabel[staffRole="checkName"] { font-weight: bold; }
QLabel[staffRole="checkValue"] { font-weight: bold; color: @blue@; }
QLabel[staffRole="checkDetail"] { font-size: 20px; color: @muted@; }
QLabel#pin_display {
    background: @card@; border: 3px solid @blue@; border-radius: 14px;
    font-size: 48px; font-weight: bold; min-height: 96px; letter-spacing: 12px;
}
QPlainTextEdit#log_view {
    background: #0F1A26; color: #E6EEF6; border-radius: 10px; padding: 10px;
    font-family: "DejaVu Sans Mono"; font-size: 22px;
}
QLineEdit {
    background: @card@; border: 3px solid @border@; border-radius: 12px; padding: 0 16px;
    min-height: 76px; font-family: "DejaVu Sans Mono"; font-size: 28px; font-weight: bold;
}
QProgressBar { border: 2px solid @border@; border-radius: 8px; background: @card@;
    min-height: 20px; max-height: 20px; }
QProgressBar::chunk { background: @blue@; }
"""


def staff_stylesheet() -> str:
    qss = _QSS
    for key, value in PALETTE.items():
        qss = qss.replace(f"@{key}@", value)
    return qss


def _set_message(widget: QLabel, text: str, tone: str = "") -> None:
    widget.setText(text)
    widget.setProperty("tone", tone)
    widget.setVisible(bool(text))
    restyle(widget)


def _message_label(name: str) -> QLabel:
    widget = staff_label("", "message", name=name)
    widget.setVisible(False)
    return widget


# ---------------------------------------------------------------- PIN dialog


class PinDialog(QDialog):
    """On-screen numeric keypad; accepts when the PIN matches settings.staff_pin_hash."""

    def __init__(
        self, services: Any, *, tr: Translator | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.tr_ = tr or Translator("es")
        self.gate = PinGate(services)
        self._pin = ""
        self.setObjectName("PinDialog")
        self.setModal(True)
        self.setWindowTitle(self.tr_("staff.pin_title"))
        self.setStyleSheet(staff_stylesheet())
        self.setFont(QFont(load_fonts()))
        self.resize(640, 900)

        col = QVBoxLayout(self)
        # no layout-driven minimum size on a top-level window (the offscreen and some kiosk
        # compositors warn on size-hint propagation; the dialog has a fixed size anyway)
        col.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        col.setContentsMargins(40, 36, 40, 36)
        col.setSpacing(18)
        col.addWidget(staff_label(self.tr_("staff.pin_title"), "title", name="pin_title"))
        col.addWidget(staff_label(self.tr_("staff.pin_hint"), "hint"))
        self.display = staff_label("", name="pin_display", wrap=False)
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.display)
        self.message = _message_label("pin_message")
        col.addWidget(self.message)
        self.keypad = PinKeypad(self.tr_)
        self.keypad.digit.connect(self._digit)
        self.keypad.erase.connect(self._erase)
        self.keypad.clear.connect(self._clear)
        col.addWidget(self.keypad, 1)
        row = QHBoxLayout()
        row.setSpacing(16)
        self.cancel_button = staff_button(self.tr_("staff.cancel"), name="pin_cancel")
        self.ok_button = staff_button(self.tr_("staff.pin_enter"), "primary", name="pin_ok")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button.clicked.connect(self.submit)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        col.addLayout(row)
        self._render()
        left = self.gate.locked_for()
        if left:
            _set_message(self.message, self.tr_("staff.pin_locked", seconds=left), "error")

    def _render(self) -> None:
        self.display.setText("●" * len(self._pin) if self._pin else "")
        self.ok_button.setEnabled(bool(self._pin))

    def _digit(self, d: str) -> None:
        if len(self._pin) < MAX_PIN_LENGTH:
            self._pin += d
            self._render()

    def _erase(self) -> None:
        self._pin = self._pin[:-1]
        self._render()

    def _clear(self) -> None:
        self._pin = ""
        self._render()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # a USB keyboard works too
        key, text = event.key(), event.text()
        if text.isdigit() and text.isascii():
            self._digit(text)
        elif key == Qt.Key.Key_Backspace:
            self._erase()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        else:
            super().keyPressEvent(event)

    def submit(self) -> None:
        if not self._pin:
            return
        result = self.gate.check(self._pin)
        self._pin = ""
        self._render()
        if result.outcome is PinOutcome.OK:
            _audit(self.services, "staff_enter")
            log.info("staff panel unlocked")
            self.accept()
        elif result.outcome is PinOutcome.WRONG:
            _audit(self.services, "staff_pin_wrong", {"attempts_left": result.attempts_left})
            _set_message(
                self.message, self.tr_("staff.pin_wrong", left=result.attempts_left), "error"
            )
        elif result.outcome is PinOutcome.LOCKED:
            if result.just_locked:
                _audit(self.services, "staff_pin_locked", {"seconds": LOCKOUT_S})
                log.warning("staff PIN locked after %d wrong attempts", MAX_PIN_ATTEMPTS)
            _set_message(
                self.message, self.tr_("staff.pin_locked", seconds=result.locked_for_s), "error"
            )
        else:
            _set_message(self.message, self.tr_("staff.pin_disabled"), "error")


# ---------------------------------------------------------------- pages


class _Page(QWidget):
    def __init__(self, panel: StaffPanel, title_key: str, name: str) -> None:
        super().__init__()
        self.panel = panel
        self.tr_ = panel.tr_
        self.setObjectName(f"page_{name}")
        self.col = QVBoxLayout(self)
        self.col.setContentsMargins(48, 36, 48, 36)
        self.col.setSpacing(20)
        self.title = staff_label(self.tr_(title_key), "title")
        self.col.addWidget(self.title)

    @property
    def services(self) -> Any:
        return self.panel.services

    def on_enter(self) -> None:
        pass

    def set_portrait(self, portrait: bool) -> None:
        """Narrow screens: rows of several buttons become columns."""


def _kv_card(rows: list[tuple[str, str]]) -> tuple[QFrame, dict[str, QLabel]]:
    """A card of label → value rows; returns the value labels by name."""
    card = QFrame()
    card.setProperty("staffRole", "card")
    grid = QGridLayout(card)
    grid.setContentsMargins(28, 20, 28, 20)
    grid.setHorizontalSpacing(32)
    grid.setVerticalSpacing(14)
    values: dict[str, QLabel] = {}
    for i, (name, text) in enumerate(rows):
        grid.addWidget(staff_label(text, "hint"), i, 0)
        value = staff_label("", "checkName", name=name)
        values[name] = value
        grid.addWidget(value, i, 1)
    grid.setColumnMinimumWidth(0, 300)
    grid.setColumnStretch(1, 1)
    return card, values


class DiagnosticsPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_diagnostics", "diagnostics")
        top = QHBoxLayout()
        self.summary = staff_label("", "section", name="diag_summary")
        self.refresh_button = staff_button(
            self.tr_("staff.refresh"), "primary", name="diag_refresh"
        )
        self.refresh_button.setMinimumWidth(260)
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        self.col.addLayout(top)
        self.message = _message_label("diag_message")
        self.col.addWidget(self.message)
        self.checks = CheckList(self.tr_)
        self.checks.setObjectName("diag_checks")
        self.col.addWidget(kinetic_scroll(self.checks), 1)

    def on_enter(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        if not self.refresh_button.isEnabled():
            return
        self.refresh_button.setEnabled(False)
        self.summary.setText(self.tr_("staff.working"))
        camera = self.panel.camera_reading() if self.panel.camera_reading else None
        services, tr = self.services, self.tr_
        self.panel.jobs.run(
            lambda: diagnostics.collect(services, camera, tr=tr), self._done, self._failed
        )

    def _done(self, checks: list[Check]) -> None:
        self.refresh_button.setEnabled(True)
        self.checks.set_checks(checks)
        self.summary.setText(self.checks.summary())
        _set_message(self.message, "")

    def _failed(self, message: str) -> None:
        self.refresh_button.setEnabled(True)
        self.summary.setText("")
        _set_message(self.message, self.tr_("staff.action_failed", error=message), "error")


class PrinterPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_printer", "printer")
        card, self.values = _kv_card(
            [
                ("printer_name", self.tr_("staff.printer_name")),
                ("printer_state", self.tr_("staff.printer_state")),
                ("printer_detail", self.tr_("staff.printer_detail")),
            ]
        )
        self.col.addWidget(card)
        row = QHBoxLayout()
        row.setSpacing(16)
        self.status_button = staff_button(self.tr_("staff.refresh"), name="printer_refresh")
        self.test_button = staff_button(
            self.tr_("staff.test_print"), "primary", name="printer_test"
        )
        self.status_button.clicked.connect(self.refresh)
        self.test_button.clicked.connect(self.test_print)
        row.addWidget(self.status_button)
        row.addWidget(self.test_button)
        self.col.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setObjectName("printer_progress")
        self.progress.setRange(0, 0)  # busy indicator: printers report no percentage
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.col.addWidget(self.progress)
        self.message = _message_label("printer_message")
        self.col.addWidget(self.message)
        # Receipts that never printed (paper out, printer off): staff hand them over once the
        # printer is back. Ticket numbers are not personal data.
        self.col.addWidget(staff_label(self.tr_("staff.unprinted_title"), "section"))
        self.unprinted_hint = staff_label("", "hint", name="printer_unprinted_hint")
        self.col.addWidget(self.unprinted_hint)
        self.unprinted = QVBoxLayout()
        self.unprinted.setSpacing(12)
        self.col.addLayout(self.unprinted)
        self.col.addStretch(1)

    MAX_REPRINT_ROWS = 6

    def on_enter(self) -> None:
        self.refresh()

    def _refresh_unprinted(self) -> None:
        while self.unprinted.count():
            item = self.unprinted.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        store = getattr(self.services, "store", None)
        if store is None or not hasattr(self.services, "reprint"):
            self.unprinted_hint.setText("")
            return
        tickets = store.tickets_not_printed()
        self.unprinted_hint.setText(
            self.tr_("staff.unprinted_count", count=len(tickets))
            if tickets
            else self.tr_("staff.unprinted_none")
        )
        for ticket in tickets[-self.MAX_REPRINT_ROWS :]:
            b = staff_button(
                self.tr_("staff.reprint", number=ticket.number), name=f"reprint_{ticket.ticket_id}"
            )
            b.clicked.connect(lambda _=False, t=ticket: self.reprint(t.ticket_id, t.number))
            self.unprinted.addWidget(b)

    def reprint(self, ticket_id: str, number: str) -> None:
        self.progress.setVisible(True)
        _set_message(self.message, self.tr_("staff.printing"))
        services = self.services
        self.panel.jobs.run(
            lambda: services.reprint(ticket_id),
            lambda result: self._reprinted(number, result),
            self._failed,
        )

    def _reprinted(self, number: str, result: PrintResult) -> None:
        self._finish()
        _audit(self.services, "reprint", {"ticket": number, "ok": result.ok})
        if result.ok:
            _set_message(self.message, self.tr_("staff.reprint_ok", number=number), "ok")
        else:
            state = self.tr_(f"staff.printer_state_{result.status.state.value}")
            _set_message(self.message, self.tr_("staff.test_print_failed", error=state), "error")

    def refresh(self) -> None:
        self._refresh_unprinted()
        services = self.services
        status_fn = getattr(services, "printer_status", None)
        try:
            st = status_fn() if callable(status_fn) else services.printer.status()
        except Exception as exc:
            self.values["printer_state"].setText(type(exc).__name__)
            return
        self.values["printer_name"].setText(services.printer.name)
        self.values["printer_state"].setText(self.tr_(f"staff.printer_state_{st.state.value}"))
        self.values["printer_detail"].setText(st.detail or "—")

    def test_print(self) -> None:
        if not self.test_button.isEnabled():
            return
        self.test_button.setEnabled(False)
        self.progress.setVisible(True)
        _set_message(self.message, self.tr_("staff.printing"))
        services = self.services
        self.panel.jobs.run(lambda: diagnostics.print_test_page(services), self._done, self._failed)

    def _finish(self) -> None:
        self.test_button.setEnabled(True)
        self.progress.setVisible(False)
        self.refresh()

    def _done(self, result: PrintResult) -> None:
        self._finish()
        _audit(self.services, "test_print", {"ok": result.ok, "state": result.status.state.value})
        if result.ok:
            where = result.output_path or result.job_id or ""
            _set_message(self.message, self.tr_("staff.test_print_ok", where=where), "ok")
        else:
            _set_message(
                self.message,
                self.tr_(
                    "staff.test_print_failed",
                    error=result.error
                    or self.tr_(f"staff.printer_state_{result.status.state.value}"),
                ),
                "error",
            )

    def _failed(self, message: str) -> None:
        self._finish()
        _audit(self.services, "test_print", {"ok": False, "error": message[:120]})
        _set_message(self.message, self.tr_("staff.test_print_failed", error=message), "error")


class SyncPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_sync", "sync")
        card, self.values = _kv_card(
            [
                ("sync_state", self.tr_("staff.sync_state")),
                ("sync_backlog", self.tr_("staff.check_backlog")),
                ("sync_last_success", self.tr_("staff.check_last_success")),
                ("sync_last_error", self.tr_("staff.check_last_error")),
            ]
        )
        self.col.addWidget(card)
        row = self.action_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        row.setSpacing(16)
        self.refresh_button = staff_button(self.tr_("staff.refresh"), name="sync_refresh")
        self.sync_button = staff_button(self.tr_("staff.sync_now"), "primary", name="sync_now")
        self.offline_button = staff_button(
            self.tr_("staff.offline_mode"), "choice", name="sync_offline", checkable=True
        )
        self.refresh_button.clicked.connect(self.refresh)
        self.sync_button.clicked.connect(self.sync_now)
        self.offline_button.toggled.connect(self.set_offline)
        for b in (self.refresh_button, self.sync_button, self.offline_button):
            row.addWidget(b)
        self.col.addLayout(row)
        self.message = _message_label("sync_message")
        self.col.addWidget(self.message)

        self.col.addWidget(staff_label(self.tr_("staff.export_title"), "section"))
        self.col.addWidget(staff_label(self.tr_("staff.export_hint"), "hint"))
        dest_row = QHBoxLayout()
        dest_row.setSpacing(16)
        self.dest_label = staff_label("", "checkName", name="export_dest")
        self.choose_button = staff_button(self.tr_("staff.export_choose"), name="export_choose")
        self.choose_button.setMinimumWidth(240)
        self.choose_button.clicked.connect(self.choose_folder)
        dest_row.addWidget(staff_label(self.tr_("staff.export_folder"), "hint"))
        dest_row.addWidget(self.dest_label, 1)
        dest_row.addWidget(self.choose_button)
        self.col.addLayout(dest_row)
        pass_row = QHBoxLayout()
        pass_row.setSpacing(16)
        self.passphrase = QLineEdit(diagnostics.generate_passphrase())
        self.passphrase.setObjectName("export_passphrase")
        self.passphrase.setMinimumWidth(420)  # the whole passphrase stays readable
        self.new_pass_button = staff_button(
            self.tr_("staff.export_new_passphrase"), name="export_new_passphrase"
        )
        self.new_pass_button.setMinimumWidth(240)
        self.new_pass_button.clicked.connect(
            lambda: self.passphrase.setText(diagnostics.generate_passphrase())
        )
        pass_row.addWidget(staff_label(self.tr_("staff.export_passphrase"), "hint"))
        pass_row.addWidget(self.passphrase, 1)
        pass_row.addWidget(self.new_pass_button)
        self.col.addLayout(pass_row)
        self.export_button = staff_button(
            self.tr_("staff.export_now"), "primary", name="export_now"
        )
        self.export_button.clicked.connect(self.export)
        self.col.addWidget(self.export_button)
        self.export_message = _message_label("export_message")
        self.col.addWidget(self.export_message)
        self.col.addStretch(1)
        media = diagnostics.removable_media_dirs()
        self.dest: Path = media[0] if media else self.services.data_dir / "exports"
        self.dest_label.setText(str(self.dest))

    def on_enter(self) -> None:
        self.refresh()

    def set_portrait(self, portrait: bool) -> None:
        self.action_row.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )

    def _pausable(self) -> bool:
        sync = self.services.sync
        return (
            sync is not None
            and callable(getattr(sync, "pause", None))
            and callable(getattr(sync, "resume", None))
        )

    def refresh(self) -> None:
        services = self.services
        health = diagnostics.sync_health(services)
        now = services.clock.now()
        if services.sync is None:
            state = self.tr_("staff.sync_not_configured")
        else:
            state = self.tr_("staff.online") if health.online else self.tr_("staff.offline")
        self.values["sync_state"].setText(state)
        self.values["sync_backlog"].setText(self.tr_("staff.pending_count", count=health.backlog))
        self.values["sync_last_success"].setText(
            diagnostics.format_time(health.last_success, now)
            if health.last_success
            else self.tr_("staff.never")
        )
        self.values["sync_last_error"].setText(health.last_error or self.tr_("staff.none"))
        self.sync_button.setEnabled(services.sync is not None)
        pausable = self._pausable()
        self.offline_button.setEnabled(pausable)
        self.offline_button.setToolTip("" if pausable else self.tr_("staff.offline_unsupported"))
        paused = bool(getattr(services.sync, "paused", False)) if pausable else False
        self.offline_button.blockSignals(True)
        self.offline_button.setChecked(paused)
        self.offline_button.blockSignals(False)

    def sync_now(self) -> None:
        sync = self.services.sync
        if sync is None:
            _set_message(self.message, self.tr_("staff.sync_not_configured_detail"), "warn")
            return
        sync.wake()
        _audit(self.services, "force_sync")
        _set_message(self.message, self.tr_("staff.sync_requested"), "ok")

    def set_offline(self, offline: bool) -> None:
        if not self._pausable():
            return
        sync = self.services.sync
        (sync.pause if offline else sync.resume)()
        _audit(self.services, "offline_mode", {"on": offline})
        _set_message(
            self.message,
            self.tr_("staff.offline_on" if offline else "staff.offline_off"),
            "warn" if offline else "ok",
        )

    def choose_folder(self) -> None:
        # a technician's USB stick first; any folder if a keyboard and mouse are attached
        folder = QFileDialog.getExistingDirectory(
            self, self.tr_("staff.export_choose"), str(self.dest)
        )
        if folder:
            self.set_destination(Path(folder))

    def set_destination(self, folder: Path) -> None:
        self.dest = folder
        self.dest_label.setText(str(folder))

    def export(self) -> None:
        if not self.export_button.isEnabled():
            return
        passphrase = self.passphrase.text().strip()
        if len(passphrase) < diagnostics.MIN_PASSPHRASE:
            _set_message(
                self.export_message,
                self.tr_("staff.export_passphrase_short", n=diagnostics.MIN_PASSPHRASE),
                "error",
            )
            return
        dest = self.dest
        try:
            if dest == self.services.data_dir / "exports":
                dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _set_message(
                self.export_message,
                self.tr_("staff.export_failed", error=exc.strerror or str(exc)),
                "error",
            )
            return
        self.export_button.setEnabled(False)
        _set_message(self.export_message, self.tr_("staff.working"))
        services = self.services
        self._passphrase_used = passphrase
        self.panel.jobs.run(
            lambda: diagnostics.export_outbox(services, dest, passphrase),
            self._exported,
            self._export_failed,
        )

    def _exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        _set_message(
            self.export_message,
            self.tr_("staff.export_ok", path=str(path), passphrase=self._passphrase_used),
            "ok",
        )
        self.refresh()

    def _export_failed(self, message: str) -> None:
        self.export_button.setEnabled(True)
        _audit(self.services, "outbox_export_failed", {"error": message[:120]})
        _set_message(self.export_message, self.tr_("staff.export_failed", error=message), "error")


class LogsPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_logs", "logs")
        row = QHBoxLayout()
        row.setSpacing(16)
        self.problems_only = staff_button(
            self.tr_("staff.logs_problems_only"), "choice", name="logs_problems", checkable=True
        )
        self.problems_only.toggled.connect(lambda _on: self.refresh())
        self.refresh_button = staff_button(
            self.tr_("staff.refresh"), "primary", name="logs_refresh"
        )
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.problems_only)
        row.addWidget(self.refresh_button)
        self.col.addLayout(row)
        self.view = QPlainTextEdit()
        self.view.setObjectName("log_view")
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        QScroller.grabGesture(
            self.view.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture
        )
        self.col.addWidget(self.view, 1)

    def on_enter(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        entries = logs.read_recent(self.services.data_dir / "logs", limit=500)
        if self.problems_only.isChecked():
            entries = [e for e in entries if e.get("level") in ("WARNING", "ERROR", "CRITICAL")]
        tz = self.services.clock.now().tzinfo
        lines = []
        for e in entries:
            ts = _local_time(str(e.get("ts", "")), tz)
            # scrub again: files written by an older version may predate the PII filter
            msg = logs.scrub(str(e.get("msg", "")))
            lines.append(f"{ts}  {e.get('level', ''):<7} {e.get('logger', '')}: {msg}")
        self.view.setPlainText("\n".join(lines) if lines else self.tr_("staff.logs_empty"))
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())


def _local_time(iso: str, tz: tzinfo | None) -> str:
    """Log timestamps are UTC; the technician reads kiosk time."""
    try:
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%H:%M:%S")
    except ValueError:
        return iso[11:19]


@dataclass(frozen=True)
class _Field:
    name: str
    label_key: str
    step: int
    unit_key: str


_NUMERIC_FIELDS = (
    _Field("idle_timeout_s", "staff.setting_idle", 5, "staff.unit_seconds"),
    _Field("arrival_early_minutes", "staff.setting_early", 5, "staff.unit_minutes"),
    _Field("arrival_late_minutes", "staff.setting_late", 5, "staff.unit_minutes"),
)


class SettingsPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_settings", "settings")
        self.col.addWidget(staff_label(self.tr_("staff.settings_hint"), "hint"))
        card = QFrame()
        card.setProperty("staffRole", "card")
        self.grid = QGridLayout(card)
        self.grid.setContentsMargins(28, 20, 28, 20)
        self.grid.setHorizontalSpacing(32)
        self.grid.setVerticalSpacing(18)
        self.rows: list[tuple[QLabel, QWidget]] = []
        self.steppers: dict[str, Stepper] = {}
        settings = panel.settings
        for f in _NUMERIC_FIELDS:
            stepper = Stepper(
                int(getattr(settings, f.name)),
                step=f.step,
                unit=self.tr_(f.unit_key),
                name=f"set_{f.name}",
            )
            self.steppers[f.name] = stepper
            self.rows.append((staff_label(self.tr_(f.label_key), "checkName"), stepper))
        languages = QWidget()
        lang_box = QHBoxLayout(languages)
        lang_box.setContentsMargins(0, 0, 0, 0)
        lang_box.setSpacing(12)
        self.language_group = QButtonGroup(self)
        self.language_buttons: dict[str, QPushButton] = {}
        for code, name in LANGUAGES.items():
            b = staff_button(name, "choice", name=f"set_language_{code}", checkable=True)
            b.setMinimumWidth(180)
            self.language_group.addButton(b)
            self.language_buttons[code] = b
            lang_box.addWidget(b)
        lang_box.addStretch(1)
        self.rows.append((staff_label(self.tr_("staff.setting_language"), "checkName"), languages))
        self.contrast_button = staff_button("", "choice", name="set_high_contrast", checkable=True)
        self.contrast_button.setMinimumWidth(180)
        self.contrast_button.toggled.connect(self._contrast_text)
        self.rows.append(
            (staff_label(self.tr_("staff.setting_contrast"), "checkName"), self.contrast_button)
        )
        self.grid.setColumnStretch(1, 1)
        self.set_portrait(False)
        self.col.addWidget(card)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        self.discard_button = staff_button(self.tr_("staff.discard"), name="settings_discard")
        self.save_button = staff_button(self.tr_("staff.save"), "primary", name="settings_save")
        self.discard_button.clicked.connect(self.load)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.save_button)
        self.col.addLayout(buttons)
        self.message = _message_label("settings_message")
        self.col.addWidget(self.message)
        self.col.addStretch(1)
        self.load()

    def set_portrait(self, portrait: bool) -> None:
        """Landscape: label | control on one row. Portrait: the label above its control."""
        for i, (label, control) in enumerate(self.rows):
            if portrait:
                self.grid.addWidget(label, 2 * i, 0, 1, 2)
                self.grid.addWidget(control, 2 * i + 1, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
            else:
                self.grid.addWidget(label, i, 0)
                self.grid.addWidget(control, i, 1, Qt.AlignmentFlag.AlignLeft)
        self.grid.setColumnMinimumWidth(0, 0 if portrait else 400)
        self.grid.setVerticalSpacing(10 if portrait else 18)

    def _contrast_text(self, on: bool) -> None:
        self.contrast_button.setText(self.tr_("staff.yes" if on else "staff.no"))

    def load(self) -> None:
        """Show the settings in force (also: discard unsaved edits)."""
        settings = self.panel.settings
        for name, stepper in self.steppers.items():
            stepper.set_value(int(getattr(settings, name)))
        button = self.language_buttons.get(settings.language)
        if button is not None:
            button.setChecked(True)
        self.contrast_button.setChecked(settings.high_contrast)
        self._contrast_text(settings.high_contrast)
        _set_message(self.message, "")

    def edited(self) -> dict[str, Any]:
        values: dict[str, Any] = {n: s.value() for n, s in self.steppers.items()}
        values["language"] = next(
            (c for c, b in self.language_buttons.items() if b.isChecked()),
            self.panel.settings.language,
        )
        values["high_contrast"] = self.contrast_button.isChecked()
        return values

    def save(self) -> None:
        old = self.panel.settings
        changes = {k: v for k, v in self.edited().items() if getattr(old, k) != v}
        if not changes:
            _set_message(self.message, self.tr_("staff.settings_unchanged"))
            return
        try:
            new = old.replace_validated(**changes)
        except SettingsError as exc:
            field_key = f"staff.setting_error_{exc.field_name}"
            text = (
                self.tr_(field_key)
                if self.tr_.has(field_key)
                else self.tr_("staff.setting_error", field=exc.field_name, problem=exc.problem)
            )
            _audit(self.services, "settings_refused", {"field": exc.field_name})
            _set_message(self.message, self.tr_("staff.settings_refused", reason=text), "error")
            return
        try:
            self.panel.apply_settings(new)
        except Exception as exc:
            log.exception("settings callback failed")
            _set_message(
                self.message,
                self.tr_("staff.settings_apply_failed", error=type(exc).__name__),
                "error",
            )
            return
        _audit(
            self.services,
            "settings_changed",
            {k: [getattr(old, k), v] for k, v in sorted(changes.items())},
        )
        _set_message(self.message, self.tr_("staff.settings_saved"), "ok")


class SelfTestPage(_Page):
    def __init__(self, panel: StaffPanel) -> None:
        super().__init__(panel, "staff.page_selftest", "selftest")
        self.col.addWidget(staff_label(self.tr_("staff.selftest_hint"), "hint"))
        row = QHBoxLayout()
        self.summary = staff_label("", "section", name="selftest_summary")
        self.run_button = staff_button(
            self.tr_("staff.selftest_run"), "primary", name="selftest_run"
        )
        self.run_button.setMinimumWidth(320)
        self.run_button.clicked.connect(self.run)
        row.addWidget(self.summary, 1)
        row.addWidget(self.run_button)
        self.col.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.col.addWidget(self.progress)
        self.message = _message_label("selftest_message")
        self.col.addWidget(self.message)
        self.checks = CheckList(self.tr_)
        self.checks.setObjectName("selftest_checks")
        self.col.addWidget(kinetic_scroll(self.checks), 1)

    def run(self) -> None:
        if not self.run_button.isEnabled():
            return
        self.run_button.setEnabled(False)
        self.progress.setVisible(True)
        self.summary.setText(self.tr_("staff.working"))
        services, tr = self.services, self.tr_
        self.panel.jobs.run(
            lambda: diagnostics.self_test(services, tr=tr), self._done, self._failed
        )

    def _done(self, checks: list[Check]) -> None:
        self.run_button.setEnabled(True)
        self.progress.setVisible(False)
        self.checks.set_checks(checks)
        self.summary.setText(self.checks.summary())
        _set_message(self.message, "")
        _audit(self.services, "self_test", {c.id: c.status.value for c in checks})

    def _failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.progress.setVisible(False)
        self.summary.setText("")
        _set_message(self.message, self.tr_("staff.action_failed", error=message), "error")


# ---------------------------------------------------------------- the panel


class StaffPanel(QWidget):
    """The technician's full-screen panel. Emits `exited` after "Salir" (or inactivity)."""

    exited = Signal()

    PAGES = ("diagnostics", "printer", "sync", "logs", "settings", "selftest")

    def __init__(
        self,
        services: Any,
        on_settings_changed: Callable[[KioskSettings], None] | None = None,
        *,
        tr: Translator | None = None,
        camera_reading: Callable[[], CameraReading | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.settings: KioskSettings = services.settings
        self.on_settings_changed = on_settings_changed
        self.camera_reading = camera_reading
        self.tr_ = tr or Translator("es")
        self.jobs = JobRunner(self)
        self._exited = False
        self._last_input = services.clock.monotonic()
        self.setObjectName("StaffPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(staff_stylesheet())
        self.setFont(QFont(load_fonts()))
        self.setWindowTitle(self.tr_("staff.title"))

        outer = QVBoxLayout(self)
        outer.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # full screen anyway
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._header())
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        outer.addLayout(body, 1)

        nav = QFrame()
        nav.setObjectName("staffNav")
        self.nav = nav
        nav.setFixedWidth(380)
        nav_col = QVBoxLayout(nav)
        nav_col.setContentsMargins(0, 16, 0, 0)
        nav_col.setSpacing(4)
        self.stack = QStackedWidget()
        self.pages: dict[str, _Page] = {
            "diagnostics": DiagnosticsPage(self),
            "printer": PrinterPage(self),
            "sync": SyncPage(self),
            "logs": LogsPage(self),
            "settings": SettingsPage(self),
            "selftest": SelfTestPage(self),
        }
        self.nav_group = QButtonGroup(self)
        self.nav_buttons: dict[str, QPushButton] = {}
        for name, page in self.pages.items():
            b = staff_button(
                self.tr_(f"staff.nav_{name}"), "nav", name=f"nav_{name}", checkable=True
            )
            b.clicked.connect(lambda _=False, n=name: self.show_page(n))
            self.nav_group.addButton(b)
            self.nav_buttons[name] = b
            nav_col.addWidget(b)
            self.stack.addWidget(page)
        nav_col.addStretch(1)
        self.exit_button = staff_button(self.tr_("staff.exit"), "exit", name="staff_exit")
        self.exit_button.clicked.connect(self.exit)
        nav_col.addWidget(self.exit_button)
        body.addWidget(nav)
        body.addWidget(self.stack, 1)

        self.idle_timer = KioskTimer(5000, name="staff_idle", parent=self)
        self.idle_timer.timeout.connect(self._check_idle)
        self._filter_installed = False
        self.show_page("diagnostics")

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        portrait = self.height() > self.width()
        self.nav.setFixedWidth(290 if portrait else 380)
        for page in self.pages.values():
            page.set_portrait(portrait)

    def _header(self) -> QFrame:
        header = QFrame()
        header.setObjectName("staffHeader")
        row = QHBoxLayout(header)
        row.setContentsMargins(32, 0, 32, 0)
        row.addWidget(staff_label(self.tr_("staff.title"), "headerTitle", wrap=False))
        row.addStretch(1)
        s = self.settings
        self.header_info = staff_label(
            self.tr_("staff.header_info", kiosk=s.kiosk_id, agency=s.agency_name),
            "headerInfo",
            wrap=False,
            name="staff_header_info",
        )
        row.addWidget(self.header_info)
        return header

    # ------------------------------------------------------------ navigation

    def show_page(self, name: str) -> None:
        page = self.pages[name]
        self.nav_buttons[name].setChecked(True)
        self.stack.setCurrentWidget(page)
        page.on_enter()

    def current_page(self) -> str:
        return str(self.stack.currentWidget().objectName()).removeprefix("page_")

    # ------------------------------------------------------------ settings

    def apply_settings(self, new: KioskSettings) -> None:
        """Hand validated settings to the running kiosk, then keep them as ours."""
        if self.on_settings_changed is not None:
            self.on_settings_changed(new)
        self.settings = new
        self.header_info.setText(
            self.tr_("staff.header_info", kiosk=new.kiosk_id, agency=new.agency_name)
        )

    # ------------------------------------------------------------ exit and inactivity

    def exit(self, reason: str = "button") -> None:
        if self._exited:
            return
        self._exited = True
        self._stop_watching()
        _audit(self.services, "staff_exit", {"reason": reason})
        log.info("staff panel closed (%s)", reason)
        self.exited.emit()
        self.close()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._last_input = self.services.clock.monotonic()
        app = QApplication.instance()
        if app is not None and not self._filter_installed:
            app.installEventFilter(self)
            self._filter_installed = True
        self.idle_timer.start()

    def hideEvent(self, event: Any) -> None:
        self._stop_watching()
        super().hideEvent(event)

    def closeEvent(self, event: Any) -> None:
        self._stop_watching()
        if not self._exited:  # closed by the window manager or the integrator: still audited
            self._exited = True
            _audit(self.services, "staff_exit", {"reason": "closed"})
            self.exited.emit()
        super().closeEvent(event)

    def _stop_watching(self) -> None:
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None and self._filter_installed:
            app.removeEventFilter(self)
            self._filter_installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.TouchBegin,
            QEvent.Type.KeyPress,
        ):
            self._last_input = self.services.clock.monotonic()
        return False

    def _check_idle(self) -> None:
        if self.services.clock.monotonic() - self._last_input >= STAFF_IDLE_S:
            self.exit("inactivity")


# ---------------------------------------------------------------- entry point


def open_staff_panel(
    parent: QWidget | None,
    services: Any,
    on_settings_changed: Callable[[KioskSettings], None] | None,
    *,
    tr: Translator | None = None,
    camera_reading: Callable[[], CameraReading | None] | None = None,
) -> StaffPanel | None:
    """Ask for the PIN (modal), then show the panel full screen over `parent`.

    Returns None if staff mode is disabled (no staff_pin_hash) or the PIN was not accepted.
    The panel deletes itself when it closes; connect to `exited` to resume the kiosk.
    """
    if not services.settings.staff_pin_hash.strip():
        log.info("staff entry requested but staff mode is disabled (no PIN configured)")
        return None
    dialog = PinDialog(services, tr=tr, parent=parent)
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
    if not accepted:
        return None
    panel = StaffPanel(
        services, on_settings_changed, tr=tr, camera_reading=camera_reading, parent=parent
    )
    # a separate full-screen window above the kiosk's: the citizen pages stay untouched below
    panel.setWindowFlag(Qt.WindowType.Window, True)
    panel.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if parent is not None and not parent.window().isFullScreen():
        panel.setGeometry(parent.window().geometry())
        panel.show()
    else:
        panel.showFullScreen()
    return panel


__all__ = [
    "PinDialog",
    "PinGate",
    "PinOutcome",
    "StaffPanel",
    "hash_pin",
    "open_staff_panel",
]
