"""Every screen, both orientations: touch targets ≥ 64 px, readable text, nothing off-screen,
layouts that turn with the screen, and page switches well under 100 ms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from kiosk.domain.turns import TurnOutcome
from kiosk.ui.theme import TOUCH_MIN_PX
from tests.e2e.conftest import LANDSCAPE, PORTRAIT, Driver
from tests.e2e.fakes import decision

SIZES = [LANDSCAPE, PORTRAIT]
SIZE_IDS = ["landscape", "portrait"]


def _turn(outcome: TurnOutcome = TurnOutcome.OK) -> Callable[[Driver], None]:
    def go(d: Driver) -> None:
        d.window.services.decisions.append(decision(outcome, tramite_id="codigo-extranjeros"))
        d.tap("homeTurn")
        d.flow.turn_read(d.window.services.verify_turn("IESS1:X"))
    return go


def _foreigner(d: Driver) -> None:
    d.walk_in("certificado-atencion-medica-sgrt")
    d.answer("self", "foreigner_code", "no")


def _capture(d: Driver) -> None:
    d.sgrt_to_checklist()
    d.tap("checklistStart")


def _review(d: Driver) -> None:
    _capture(d)
    d.capture_all()


def _print_failed(d: Driver) -> None:
    d.window.services.printer.fail = True
    d.to_receipt()


def _idle_overlay(d: Driver) -> None:
    d.walk_in("certificado-atencion-medica-sgrt")
    s = d.window.services
    s.clock.advance(s.settings.idle_timeout_s)
    d.window.idle.timer.fire()


STATES: dict[str, Callable[[Driver], None]] = {
    "home": lambda d: None,
    "help": lambda d: d.tap("homeHelp"),
    "choose": lambda d: d.tap("homeWalkIn"),
    "questions": lambda d: d.walk_in("certificado-atencion-medica-sgrt"),
    "identify_cedula": lambda d: (d.walk_in("certificado-atencion-medica-sgrt"),
                                  d.answer("self", "cedula", "no")),
    "identify_foreigner": _foreigner,
    "checklist": lambda d: d.sgrt_to_checklist(),
    "capture": _capture,
    "review": _review,
    "receipt": lambda d: d.to_receipt(),
    "receipt_print_failed": _print_failed,
    "scan_turn": lambda d: d.tap("homeTurn"),
    "confirm": _turn(),
    "info_other_channel": lambda d: d.walk_in("cita-medica"),
    "info_needs_turn": lambda d: d.walk_in("codigo-extranjeros"),
    "info_turn_problem": _turn(TurnOutcome.TOO_EARLY),
    "info_missing": lambda d: (d.sgrt_to_checklist(), d.tap("checklistMissing")),
    "out_of_order": lambda d: d.window.show_out_of_order("test", recover=False),
    "idle_overlay": _idle_overlay,
}
QUIET_LOGS = {"receipt_print_failed"}


def _visible(root: QWidget, kind: type) -> list[Any]:
    return [w for w in root.findChildren(kind) if w.isVisibleTo(root) and w.isVisible()]


@pytest.fixture(params=SIZES, ids=SIZE_IDS)
def sized_drive(request: pytest.FixtureRequest, qtbot: Any, make_window: Any) -> Driver:
    return Driver(qtbot, make_window(request.param))


@pytest.mark.allow_log_warnings
@pytest.mark.parametrize("state", list(STATES))
def test_touch_targets_and_text(sized_drive: Driver, state: str) -> None:
    d = sized_drive
    STATES[state](d)
    w = d.window
    window_rect = QRect(QPoint(0, 0), w.size())
    buttons = _visible(w, QAbstractButton)
    assert buttons, "every screen offers at least one thing to touch"
    for b in buttons:
        name = b.objectName() or b.text()
        assert b.height() >= TOUCH_MIN_PX, f"{state}: {name!r} is {b.height()} px high"
        assert b.width() >= TOUCH_MIN_PX, f"{state}: {name!r} is {b.width()} px wide"
        top_left = b.mapTo(w, QPoint(0, 0))
        if not _in_scroll_area(b):
            assert window_rect.contains(QRect(top_left, b.size())), f"{state}: {name!r} off-screen"
    for label in _visible(w, QLabel):
        if label.text() and label.pixmap().isNull():
            px = label.font().pixelSize()
            assert px >= 22, f"{state}: {label.objectName()!r} text at {px} px"


def _in_scroll_area(widget: QWidget) -> bool:
    from PySide6.QtWidgets import QScrollArea

    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def test_body_and_title_sizes_at_1080p(window: Any) -> None:
    home = window.screen("home")
    assert home.title.font().pixelSize() >= 40
    assert home.subtitle.font().pixelSize() >= 24
    assert window.footer.back.font().pixelSize() >= 24


def test_home_turns_with_the_screen(make_window: Any) -> None:
    landscape = make_window(LANDSCAPE).screen("home")
    assert landscape.turn_button.y() == landscape.walk_in_button.y()  # side by side
    portrait = make_window(PORTRAIT).screen("home")
    assert portrait.turn_button.x() == portrait.walk_in_button.x()  # one above the other
    assert portrait.turn_button.y() < portrait.walk_in_button.y()


def test_keypad_beside_text_in_landscape_below_in_portrait(make_window: Any, qtbot: Any) -> None:
    for size, beside in ((LANDSCAPE, True), (PORTRAIT, False)):
        d = Driver(qtbot, make_window(size))
        d.walk_in("certificado-atencion-medica-sgrt")
        d.answer("self", "cedula", "no")
        identify = d.window.screen("identify")
        keypad_pos = identify.keypad.mapTo(identify, QPoint(0, 0))
        text_pos = identify.instruction.mapTo(identify, QPoint(0, 0))
        assert (keypad_pos.x() > text_pos.x()) is beside
        d.tap("cancelButton")


def test_resizing_turns_a_running_window(window: Any, qtbot: Any) -> None:
    window.resize(*PORTRAIT)
    qtbot.waitUntil(lambda: window.screen("home").portrait)
    window.resize(*LANDSCAPE)
    qtbot.waitUntil(lambda: not window.screen("home").portrait)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_page_switch_is_fast(make_window: Any, qtbot: Any, size: tuple[int, int]) -> None:
    d = Driver(qtbot, make_window(size))
    for _ in range(2):  # walk-in journey twice: the second run has warm caches like a kiosk
        d.to_receipt()
        d.tap("receiptDone")
    times = d.window.switch_times_ms
    assert len(times) >= 14
    slow = sorted(times)[-3:]
    print(f"page switches ({size[0]}x{size[1]}): n={len(times)} "
          f"median={sorted(times)[len(times) // 2]:.1f} ms, max={max(times):.1f} ms")
    assert max(times) < 100, slow
