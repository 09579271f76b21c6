"""The staff panel driven offscreen: PIN entry and lockout, settings edits, diagnostics, printer
test, export and self-test, all against a real KioskStore and a spool printer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from kiosk.config import KioskSettings
from kiosk.diagnostics import read_bundle
from kiosk.domain.ports import PrinterState, PrinterStatus, PrintResult, SyncHealth
from kiosk.printing import SpoolPrinter
from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit
from kiosk.ui.staff import (
    LOCKOUT_S,
    PinDialog,
    StaffPanel,
    hash_pin,
    open_staff_panel,
)

PIN = "4821"


@dataclass
class StaffServices:
    settings: KioskSettings
    store: KioskStore
    printer: Any
    data_dir: Path
    clock: FakeClock
    sync: Any = None
    trust_path: Path = field(default_factory=lambda: Path("/nonexistent"))


class FakeSync:
    def __init__(self) -> None:
        self.woken = 0
        self.paused = False
        self.clock_drift: float | None = 1.0

    def health(self) -> SyncHealth:
        return SyncHealth(not self.paused, 0, None, None)

    def wake(self) -> None:
        self.woken += 1

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def staff_services(tmp_path: Path, clock: FakeClock) -> Iterator[StaffServices]:
    data = tmp_path / "data"
    store = KioskStore.open(data, kiosk_id="kiosk-07", agency_id="CAU-QUITO", clock=clock)
    settings = KioskSettings(
        kiosk_id="kiosk-07", agency_name="CAU Quito Centro", staff_pin_hash=hash_pin(PIN)
    )
    yield StaffServices(
        settings=settings,
        store=store,
        printer=SpoolPrinter(data / "spool"),
        data_dir=data,
        clock=clock,
    )
    store.close()


def press(qtbot: Any, parent: QWidget, name: str) -> None:
    button = parent.findChild(QPushButton, name)
    assert button is not None, name
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_pin(qtbot: Any, dialog: PinDialog, pin: str) -> None:
    for digit in pin:
        press(qtbot, dialog, f"key_{digit}")
    press(qtbot, dialog, "pin_ok")


def text_of(parent: QWidget, name: str) -> str:
    widget = parent.findChild(QLabel, name)
    assert widget is not None, name
    return widget.text()


def actions(services: StaffServices) -> list[str]:
    return [a.action for a in reversed(services.store.audit_entries())]


@pytest.fixture
def pin_dialog(qtbot: Any, staff_services: StaffServices) -> PinDialog:
    dialog = PinDialog(staff_services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.fixture
def panel(qtbot: Any, staff_services: StaffServices) -> Iterator[StaffPanel]:
    changed: list[KioskSettings] = []
    widget = StaffPanel(staff_services, changed.append)
    widget.changed = changed  # type: ignore[attr-defined]
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    widget.show()
    qtbot.waitExposed(widget)
    wait_idle(qtbot, widget)
    yield widget
    wait_idle(qtbot, widget)
    widget.close()


def wait_idle(qtbot: Any, panel: StaffPanel) -> None:
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=10_000)


# ---------------------------------------------------------------- PIN


def test_right_pin_opens(qtbot: Any, pin_dialog: PinDialog, staff_services: StaffServices) -> None:
    with qtbot.waitSignal(pin_dialog.accepted):
        type_pin(qtbot, pin_dialog, PIN)
    assert actions(staff_services) == ["staff_enter"]


def test_keypad_edits_and_masks(qtbot: Any, pin_dialog: PinDialog) -> None:
    for d in "123":
        press(qtbot, pin_dialog, f"key_{d}")
    assert text_of(pin_dialog, "pin_display") == "●●●"  # never the digits themselves
    press(qtbot, pin_dialog, "key_erase")
    assert text_of(pin_dialog, "pin_display") == "●●"
    press(qtbot, pin_dialog, "key_clear")
    assert text_of(pin_dialog, "pin_display") == ""
    assert not pin_dialog.findChild(QPushButton, "pin_ok").isEnabled()


@pytest.mark.allow_log_warnings  # the lockout is logged as a warning, on purpose
def test_wrong_pins_count_down_then_lock(
    qtbot: Any, pin_dialog: PinDialog, staff_services: StaffServices, clock: FakeClock
) -> None:
    type_pin(qtbot, pin_dialog, "0000")
    assert text_of(pin_dialog, "pin_message") == "PIN incorrecto. Intentos restantes: 2."
    type_pin(qtbot, pin_dialog, "1111")
    assert "Intentos restantes: 1" in text_of(pin_dialog, "pin_message")
    type_pin(qtbot, pin_dialog, "2222")
    assert "intente de nuevo en 60 s" in text_of(pin_dialog, "pin_message")
    type_pin(qtbot, pin_dialog, "3333")  # refused while locked, not counted, not re-audited
    assert "intente de nuevo en 60 s" in text_of(pin_dialog, "pin_message")
    # locked: even the right PIN is refused
    clock.advance(20)
    type_pin(qtbot, pin_dialog, PIN)
    assert pin_dialog.result() != PinDialog.DialogCode.Accepted
    assert "en 40 s" in text_of(pin_dialog, "pin_message")
    clock.advance(LOCKOUT_S - 20)
    with qtbot.waitSignal(pin_dialog.accepted):
        type_pin(qtbot, pin_dialog, PIN)
    assert actions(staff_services) == [
        "staff_pin_wrong",
        "staff_pin_wrong",
        "staff_pin_locked",
        "staff_enter",
    ]


@pytest.mark.allow_log_warnings
def test_lockout_survives_reopening_the_dialog(
    qtbot: Any, staff_services: StaffServices, clock: FakeClock
) -> None:
    first = PinDialog(staff_services)
    qtbot.addWidget(first)
    for wrong in ("1", "2", "3"):
        first._pin = wrong
        first.submit()
    first.close()
    second = PinDialog(staff_services)
    qtbot.addWidget(second)
    assert "60 s" in text_of(second, "pin_message")
    second._pin = PIN
    second.submit()
    assert second.result() != PinDialog.DialogCode.Accepted
    clock.advance(LOCKOUT_S)
    second._pin = PIN
    second.submit()
    assert second.result() == PinDialog.DialogCode.Accepted


def test_staff_mode_disabled_without_a_pin(qtbot: Any, staff_services: StaffServices) -> None:
    staff_services.settings = KioskSettings()  # no staff_pin_hash
    assert open_staff_panel(None, staff_services, None) is None


# ---------------------------------------------------------------- panel


def test_panel_opens_on_diagnostics(qtbot: Any, panel: StaffPanel) -> None:
    assert panel.current_page() == "diagnostics"
    checks = panel.pages["diagnostics"].checks.checks  # type: ignore[attr-defined]
    assert [c.id for c in checks][:3] == ["camera", "printer", "database"]
    assert text_of(panel, "diag_summary").startswith("Correctas: ")
    for button in panel.findChildren(QPushButton):
        if button.isVisible():
            assert button.height() >= 64, button.objectName()


def test_settings_change_is_validated_applied_and_audited(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices
) -> None:
    press(qtbot, panel, "nav_settings")
    for _ in range(2):
        press(qtbot, panel, "set_idle_timeout_s_plus")
    press(qtbot, panel, "set_arrival_late_minutes_minus")
    press(qtbot, panel, "set_language_en")
    press(qtbot, panel, "set_high_contrast")
    press(qtbot, panel, "settings_save")
    assert text_of(panel, "settings_message") == "Ajustes guardados y aplicados."
    [new] = panel.changed  # type: ignore[attr-defined]
    assert (new.idle_timeout_s, new.arrival_late_minutes) == (70, 10)
    assert (new.language, new.high_contrast) == ("en", True)
    assert panel.settings is new
    entry = staff_services.store.audit_entries()[0]
    assert entry.action == "settings_changed" and entry.actor == "staff"
    assert json.loads(entry.detail)["idle_timeout_s"] == [60, 70]


def test_bad_setting_is_refused_with_a_message(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices
) -> None:
    press(qtbot, panel, "nav_settings")
    for _ in range(10):  # 60 s → 10 s: below the 15 s floor
        press(qtbot, panel, "set_idle_timeout_s_minus")
    press(qtbot, panel, "settings_save")
    message = text_of(panel, "settings_message")
    assert message == ("No se guardó: el tiempo de inactividad debe estar entre 15 y 600 segundos.")
    assert panel.findChild(QLabel, "settings_message").property("tone") == "error"
    assert panel.changed == []  # type: ignore[attr-defined]
    assert panel.settings.idle_timeout_s == 60
    assert staff_services.store.audit_entries()[0].action == "settings_refused"
    press(qtbot, panel, "settings_discard")
    assert panel.pages["settings"].steppers["idle_timeout_s"].value() == 60  # type: ignore[attr-defined]


def test_unchanged_settings_do_not_call_back(qtbot: Any, panel: StaffPanel) -> None:
    press(qtbot, panel, "nav_settings")
    press(qtbot, panel, "settings_save")
    assert text_of(panel, "settings_message") == "No hay cambios que guardar."
    assert panel.changed == []  # type: ignore[attr-defined]


def test_test_print_runs_off_the_ui_thread(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices
) -> None:
    press(qtbot, panel, "nav_printer")
    assert text_of(panel, "printer_state") == "Lista"
    press(qtbot, panel, "printer_test")
    wait_idle(qtbot, panel)
    assert text_of(panel, "printer_message").startswith("Página de prueba impresa.")
    assert list((staff_services.data_dir / "spool").glob("*.pdf"))
    assert staff_services.store.audit_entries()[0].action == "test_print"


def test_sync_page_force_sync_offline_and_export(
    qtbot: Any,
    panel: StaffPanel,
    staff_services: StaffServices,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    staff_services.store.complete_visit(make_visit(clock, kiosk_id="kiosk-07"))
    press(qtbot, panel, "nav_sync")
    assert not panel.findChild(QPushButton, "sync_now").isEnabled()  # no central
    assert not panel.findChild(QPushButton, "sync_offline").isEnabled()
    assert text_of(panel, "sync_backlog") == "1 pendientes"

    sync = FakeSync()
    staff_services.sync = sync
    panel.pages["sync"].refresh()  # type: ignore[attr-defined]
    press(qtbot, panel, "sync_now")
    assert sync.woken == 1
    press(qtbot, panel, "sync_offline")
    assert sync.paused and text_of(panel, "sync_state") != ""
    press(qtbot, panel, "sync_offline")
    assert not sync.paused

    usb = tmp_path / "usb"
    usb.mkdir()
    page = panel.pages["sync"]
    page.set_destination(usb)  # type: ignore[attr-defined]
    passphrase = page.passphrase.text()  # type: ignore[attr-defined]
    press(qtbot, panel, "export_now")
    wait_idle(qtbot, panel)
    assert passphrase in text_of(panel, "export_message")
    [bundle] = usb.glob("*.kcb")
    assert read_bundle(bundle, passphrase).manifest["count"] == 1
    assert {"force_sync", "offline_mode", "outbox_exported"} <= set(actions(staff_services))


def test_logs_page_shows_recent_entries(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices
) -> None:
    logs = staff_services.data_dir / "logs"
    logs.mkdir()
    lines = [
        {
            "ts": "2026-03-02T14:00:01.000+00:00",
            "level": "INFO",
            "logger": "kiosk.app",
            "msg": "home screen shown",
        },
        {
            "ts": "2026-03-02T14:00:02.000+00:00",
            "level": "WARNING",
            "logger": "kiosk.sync",
            "msg": "central unavailable for 1710034065",
        },
    ]
    (logs / "kiosk.log").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    press(qtbot, panel, "nav_logs")
    view = panel.pages["logs"].view  # type: ignore[attr-defined]
    assert "home screen shown" in view.toPlainText()
    assert "1710034065" not in view.toPlainText()  # scrubbed even if a file slipped through
    press(qtbot, panel, "logs_problems")
    assert "home screen shown" not in view.toPlainText()
    assert "central unavailable" in view.toPlainText()


def test_self_test_page(qtbot: Any, panel: StaffPanel, staff_services: StaffServices) -> None:
    press(qtbot, panel, "nav_selftest")
    press(qtbot, panel, "selftest_run")
    wait_idle(qtbot, panel)
    checks = panel.pages["selftest"].checks.checks  # type: ignore[attr-defined]
    assert [c.id for c in checks] == [
        "selftest_print",
        "selftest_store",
        "selftest_trust",
        "selftest_sync",
    ]
    assert staff_services.store.audit_entries()[0].action == "self_test"


def test_exit_is_audited_and_closes(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices
) -> None:
    with qtbot.waitSignal(panel.exited):
        press(qtbot, panel, "staff_exit")
    assert not panel.isVisible()
    assert not panel.idle_timer.is_active()
    assert actions(staff_services)[-1] == "staff_exit"


def test_inactivity_closes_the_panel(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices, clock: FakeClock
) -> None:
    panel.idle_timer.fire()
    assert panel.isVisible()
    clock.advance(301)
    with qtbot.waitSignal(panel.exited):
        panel.idle_timer.fire()
    assert json.loads(staff_services.store.audit_entries()[0].detail) == {"reason": "inactivity"}


def _answer_pin(pin: str | None) -> None:
    """Runs inside PinDialog.exec(): type `pin` (or cancel) on the modal dialog."""
    from PySide6.QtWidgets import QApplication

    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, PinDialog)
    if pin is None:
        dialog.findChild(QPushButton, "pin_cancel").click()
        return
    for digit in pin:
        dialog.findChild(QPushButton, f"key_{digit}").click()
    dialog.findChild(QPushButton, "pin_ok").click()


def test_open_staff_panel_asks_for_the_pin(qtbot: Any, staff_services: StaffServices) -> None:
    from PySide6.QtCore import QTimer

    host = QWidget()
    qtbot.addWidget(host)
    host.resize(1280, 720)
    host.show()
    changed: list[KioskSettings] = []
    QTimer.singleShot(0, lambda: _answer_pin(None))
    assert open_staff_panel(host, staff_services, changed.append) is None
    QTimer.singleShot(0, lambda: _answer_pin(PIN))
    panel = open_staff_panel(host, staff_services, changed.append)
    assert isinstance(panel, StaffPanel)
    qtbot.waitExposed(panel)
    assert panel.isWindow() and panel.size() == host.size()
    wait_idle(qtbot, panel)
    with qtbot.waitSignal(panel.destroyed):  # WA_DeleteOnClose: nothing left behind
        panel.exit()
    assert actions(staff_services) == ["staff_enter", "staff_exit"]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_every_page_fits_with_big_touch_targets(
    qtbot: Any, panel: StaffPanel, size: tuple[int, int]
) -> None:
    from PySide6.QtCore import QPoint

    panel.resize(*size)
    for name in panel.PAGES:
        press(qtbot, panel, f"nav_{name}")
        wait_idle(qtbot, panel)
        qtbot.wait(1)  # let the layout settle
        for button in panel.findChildren(QPushButton):
            if not button.isVisible():
                continue
            assert button.height() >= 64, (name, button.objectName())
            right = button.mapTo(panel, QPoint(button.width(), 0)).x()
            assert right <= panel.width(), (name, button.objectName(), right)


def test_printer_page_reprints_receipts_that_never_printed(
    qtbot: Any, panel: StaffPanel, staff_services: StaffServices, clock: FakeClock
) -> None:
    ticket = staff_services.store.complete_visit(make_visit(clock, kiosk_id="kiosk-07"))
    staff_services.store.mark_printed(ticket.ticket_id, False, "paper_out")
    reprinted: list[str] = []

    def reprint(ticket_id: str) -> PrintResult:
        reprinted.append(ticket_id)
        staff_services.store.mark_printed(ticket_id, True, "ready")
        return PrintResult(True, PrinterStatus(PrinterState.READY))

    staff_services.reprint = reprint  # type: ignore[attr-defined]
    press(qtbot, panel, "nav_printer")
    assert text_of(panel, "printer_unprinted_hint").startswith("1 comprobante")
    press(qtbot, panel, f"reprint_{ticket.ticket_id}")
    wait_idle(qtbot, panel)
    assert reprinted == [ticket.ticket_id]
    assert text_of(panel, "printer_message") == f"Comprobante {ticket.number} reimpreso."
    assert staff_services.store.tickets_not_printed() == []
    assert text_of(panel, "printer_unprinted_hint").startswith("Todos")
    assert "reprint" in actions(staff_services)
