"""Idle timeout: "¿Sigue ahí?" with a countdown, then the visit is wiped from screen and memory.
Time is the fake clock; the watcher's wrapped timer is ticked by hand."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kiosk.i18n import Translator
from kiosk.ui.idle import IdleWatcher, active_timers
from tests.e2e.conftest import Driver
from tests.e2e.fakes import VALID_CEDULA, FakeClock, FakeServices

ES = Translator("es")
SGRT_NAME = "Certificado para atención médica (Riesgos del Trabajo)"


def _spaced(number: str) -> str:
    return " ".join(number[i:i + 3] for i in range(0, len(number), 3))


def _idle(drive: Driver, services: FakeServices, seconds: float) -> None:
    services.clock.advance(seconds)
    drive.window.idle.timer.fire()


def test_no_timeout_on_the_home_screen(drive: Driver, services: FakeServices) -> None:
    assert not drive.window.idle.armed
    _idle(drive, services, 10_000)
    assert drive.page == "home" and not drive.window.overlay.isVisible()


def test_are_you_there_then_continue(drive: Driver, services: FakeServices) -> None:
    s = services.settings
    drive.walk_in("certificado-atencion-medica-sgrt")
    _idle(drive, services, s.idle_timeout_s - 1)
    assert not drive.window.overlay.isVisible()
    _idle(drive, services, 1)
    overlay = drive.window.overlay
    assert overlay.isVisible()
    assert overlay.title.text() == ES.t("ui.idle_title")
    assert overlay.countdown.text() == ES.t("ui.idle_countdown", seconds=s.idle_warning_s)
    _idle(drive, services, 5)
    assert overlay.countdown.text() == ES.t("ui.idle_countdown", seconds=s.idle_warning_s - 5)
    drive.tap("idleStay")
    assert not overlay.isVisible()
    assert drive.page == "questions"
    _idle(drive, services, s.idle_timeout_s - 1)  # the count starts again from the touch
    assert not overlay.isVisible() and drive.page == "questions"


def test_any_touch_counts_as_presence(drive: Driver, services: FakeServices) -> None:
    drive.walk_in("certificado-atencion-medica-sgrt")
    _idle(drive, services, services.settings.idle_timeout_s - 5)
    QTest.mouseClick(drive.window.screen("questions").title, Qt.MouseButton.LeftButton,
                     pos=QPoint(5, 5))
    _idle(drive, services, 10)
    assert not drive.window.overlay.isVisible()


def test_timeout_wipes_the_typed_number(drive: Driver, services: FakeServices) -> None:
    s = services.settings
    drive.walk_in("certificado-atencion-medica-sgrt")
    drive.answer("self", "cedula", "no")
    drive.type(VALID_CEDULA)  # typed, not yet confirmed: on screen only
    identify = drive.window.screen("identify")
    assert identify.keypad.display.text() == _spaced(VALID_CEDULA)
    _idle(drive, services, s.idle_timeout_s)
    assert drive.window.overlay.isVisible()
    _idle(drive, services, s.idle_warning_s)
    assert drive.page == "home"
    assert not drive.window.overlay.isVisible()
    assert drive.flow.visit is None
    texts = drive.texts()
    leaked = [t for t in texts
              if VALID_CEDULA in t.replace(" ", "") or VALID_CEDULA[-4:] in t or SGRT_NAME in t]
    assert not leaked, leaked
    assert identify.keypad.value == ""


def test_timeout_after_identification_wipes_memory_and_screens(drive: Driver,
                                                               services: FakeServices) -> None:
    s = services.settings
    drive.sgrt_to_checklist(VALID_CEDULA)
    assert drive.flow.visit.id_number == VALID_CEDULA
    visit = drive.flow.visit
    drive.tap("checklistStart")
    assert drive.page == "capture"
    _idle(drive, services, s.idle_timeout_s + s.idle_warning_s)
    assert drive.page == "home"
    assert drive.flow.visit is None
    assert visit.id_number == "" and not visit.answers and not visit.captures
    texts = drive.texts()
    assert not [t for t in texts if VALID_CEDULA[-4:] in t or SGRT_NAME in t], texts
    assert not drive.window.idle.armed


def test_timeout_resets_language(drive: Driver, services: FakeServices) -> None:
    drive.tap("languageButton")
    drive.walk_in("certificado-atencion-medica-sgrt")
    assert drive.window.translator.language == "en"
    _idle(drive, services, services.settings.idle_timeout_s + services.settings.idle_warning_s)
    assert drive.window.translator.language == "es"
    assert drive.window.screen("home").title.text() == ES.t("ui.home_title")


def test_no_idle_timeout_on_the_receipt(drive: Driver, services: FakeServices) -> None:
    drive.to_receipt()
    assert not drive.window.idle.armed  # the receipt page has its own way home


# --------------------------------------------------------------------------- the watcher alone


def test_watcher_states(qtbot: Any) -> None:
    clock = FakeClock()
    watcher = IdleWatcher(clock, timeout_s=60, warning_s=20)
    warnings: list[int] = []
    expired: list[bool] = []
    watcher.warning.connect(warnings.append)
    watcher.expired.connect(lambda: expired.append(True))
    watcher.arm()
    assert watcher.timer in active_timers()
    clock.advance(59.9)
    watcher.tick()
    assert not warnings
    clock.advance(0.1)
    watcher.tick()
    assert warnings == [20] and watcher.warning_shown
    clock.advance(19.5)
    watcher.tick()
    assert warnings[-1] == 1
    clock.advance(0.5)
    watcher.tick()
    assert expired == [True] and not watcher.armed
    assert watcher.timer not in active_timers()
    watcher.shutdown()


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_overlay_covers_the_window(make_window: Any, size: tuple[int, int]) -> None:
    w = make_window(size)
    w.flow.start_walk_in()
    w.services.clock.advance(w.services.settings.idle_timeout_s)
    w.idle.timer.fire()
    assert w.overlay.geometry() == w.rect()
    assert w.overlay.stay.height() >= 64
    w.idle.poke()
    w.flow.cancel()
