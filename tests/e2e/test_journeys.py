"""The citizen journeys through the whole window (offscreen, FakeServices, real domain)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kiosk.domain.turns import TurnOutcome
from kiosk.domain.visit import IdentifyMode, InfoReason, Step
from kiosk.i18n import Translator
from tests.e2e.conftest import Driver
from tests.e2e.fakes import TURN_CEDULA, VALID_CEDULA, FakeServices, decision

ES = Translator("es")
SGRT = "certificado-atencion-medica-sgrt"
SGRT_NAME = "Certificado para atención médica (Riesgos del Trabajo)"


def test_walk_in_journey_end_to_end(drive: Driver, services: FakeServices) -> None:
    w = drive.window
    assert drive.page == "home"
    drive.walk_in(SGRT)
    assert drive.page == "questions"
    assert w.screen("questions").title.text() == "¿Para quién es el trámite?"
    drive.answer("self", "cedula")
    assert ES.t("flow.priority_question") == w.screen("questions").title.text()
    assert "adulto mayor" in w.screen("questions").title.text()
    drive.answer("no")
    assert drive.page == "identify"
    assert drive.flow.mode is IdentifyMode.KEYPAD
    assert "A" not in w.screen("identify").keypad.keys  # digits only
    drive.identify(VALID_CEDULA)
    assert drive.page == "checklist"
    checklist = w.screen("checklist")
    assert checklist.findChild(type(checklist.notes).__mro__[1], "item_cedula") is not None
    drive.tap("checklistStart")
    assert drive.page == "capture"
    drive.capture_all()
    drive.confirm_review()
    receipt = w.screen("receipt")
    assert receipt.printing or receipt.status.text()
    drive.wait_printed()
    assert receipt.printed_ok
    assert receipt.number.text() == "D-100"
    assert receipt.number.isVisible()
    assert receipt.tramite.text() == SGRT_NAME
    assert "Gestión Documental" in receipt.area.text()
    assert receipt.status.text() == ES.t("ui.receipt_printed")
    assert services.printer.printed[0].ticket_number == "D-100"
    visit, ticket = services.tickets[0]
    assert ticket.number == "D-100"
    assert visit.tramite_id == SGRT and visit.kind == "walk_in" and not visit.priority
    assert VALID_CEDULA not in repr(visit)
    drive.tap("receiptDone")
    assert drive.page == "home"
    assert drive.flow.visit is None
    assert not [t for t in drive.texts() if VALID_CEDULA in t or "D-100" in t]


def test_appointment_journey(drive: Driver, services: FakeServices) -> None:
    w = drive.window
    services.decisions.append(decision(TurnOutcome.OK, tramite_id="codigo-extranjeros"))
    drive.tap("homeTurn")
    assert drive.page == "scan_turn"
    # The camera page reads the QR; here the verifier's verdict is handed to the flow directly.
    drive.flow.turn_read(services.verify_turn("IESS1:TEST"))
    assert drive.page == "identify"
    identify = w.screen("identify")
    assert "··" + TURN_CEDULA[-2:] in identify.instruction.text()
    drive.type("1111")
    drive.tap("keyOk")
    assert drive.page == "identify"
    assert identify.message.isVisible()
    assert identify.message.text() == ES.t("identity.confirm_wrong", left=2)
    drive.type("12")
    drive.tap("keyOk")
    assert identify.message.text() == ES.t("identity.confirm_need_four")
    for _ in range(2):
        drive.tap("keyDelete")
    drive.type(TURN_CEDULA[-4:])
    drive.tap("keyOk")
    assert drive.page == "questions"
    drive.answer("self", "yes")
    assert drive.page == "checklist"  # no keypad: the turn already identified the citizen
    drive.tap("checklistStart")
    drive.capture_all()
    drive.confirm_review()
    drive.wait_printed()
    receipt = w.screen("receipt")
    assert receipt.number.text() == "E-100"
    assert receipt.priority.isVisible()
    visit, _ = services.tickets[0]
    assert visit.kind == "appointment" and visit.priority and visit.turn_id


def test_three_wrong_confirmations_end_in_a_clear_message(
    drive: Driver, services: FakeServices
) -> None:
    services.decisions.append(decision(TurnOutcome.OK, tramite_id="codigo-extranjeros"))
    drive.tap("homeTurn")
    drive.flow.turn_read(services.verify_turn("IESS1:TEST"))
    for _ in range(3):
        drive.type("0000")
        drive.tap("keyOk")
    assert drive.page == "info"
    assert drive.window.screen("info").message.text() == ES.t("turn.altered")
    drive.tap("infoHome")
    assert drive.page == "home"


CEDULA_PROBLEMS = [
    ("", "empty"),
    ("12345", "wrong_length"),
    ("9910034065", "bad_province"),
    ("1770034065", "bad_third_digit"),
    ("1710034064", "bad_check_digit"),
]


@pytest.mark.parametrize(("typed", "problem"), CEDULA_PROBLEMS)
def test_bad_cedula_gets_its_specific_message(drive: Driver, typed: str, problem: str) -> None:
    drive.walk_in(SGRT)
    drive.answer("self", "cedula", "no")
    drive.identify(typed)
    identify = drive.window.screen("identify")
    assert drive.page == "identify"
    assert identify.message.isVisible()
    assert identify.message.text() == ES.t(f"identity.{problem}")
    drive.tap("keyDelete")
    drive.type("1")  # correcting the number clears the message
    assert not identify.message.isVisible()


def test_not_digits_message(drive: Driver) -> None:
    drive.walk_in(SGRT)
    drive.answer("self", "cedula", "no")
    identify = drive.window.screen("identify")
    identify._submit("17100A4065")  # the digit keypad cannot type letters; a paste could
    assert identify.message.text() == ES.t("identity.not_digits")


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("AB12", "identity.wrong_length_foreigner_code"),
        ("ABCDEF1", "identity.too_few_digits"),
    ],
)
def test_foreigner_code_keypad_and_messages(drive: Driver, typed: str, key: str) -> None:
    drive.walk_in(SGRT)
    drive.answer("self", "foreigner_code", "no")
    identify = drive.window.screen("identify")
    assert "Q" in identify.keypad.keys  # letters and digits
    assert identify.title.text() == ES.t("identity.keypad_title_foreigner_code")
    drive.identify(typed)
    assert identify.message.text() == ES.t(key)
    identify._submit("AB_1234")
    assert identify.message.text() == ES.t("identity.bad_characters")
    identify.keypad.clear()
    drive.identify("AB123456")
    assert drive.page == "checklist"
    names = [i.requirement.name for i in drive.flow.checklist()]
    assert "Código de identificación para extranjeros" in names


# --------------------------------------------------------------------------- back / cancel


def _reach(drive: Driver, where: str) -> None:
    if where == "choose":
        drive.tap("homeWalkIn")
    elif where == "questions":
        drive.walk_in(SGRT)
    elif where == "questions2":
        drive.walk_in(SGRT)
        drive.answer("self")
    elif where == "identify":
        drive.walk_in(SGRT)
        drive.answer("self", "cedula", "no")
        drive.type(VALID_CEDULA[:6])
    elif where == "checklist":
        drive.sgrt_to_checklist()
    elif where == "capture":
        drive.sgrt_to_checklist()
        drive.tap("checklistStart")
    elif where == "review":
        drive.sgrt_to_checklist()
        drive.tap("checklistStart")
        drive.capture_all()
    elif where == "info":
        drive.walk_in("cita-medica")
    elif where == "needs_turn":
        drive.walk_in("codigo-extranjeros")
    elif where == "scan_turn":
        drive.tap("homeTurn")
    elif where == "confirm":
        drive.window.services.decisions.append(decision(tramite_id="codigo-extranjeros"))
        drive.tap("homeTurn")
        drive.flow.turn_read(drive.window.services.verify_turn("x"))
    else:  # pragma: no cover
        raise AssertionError(where)


BACK = [
    ("choose", "home"),
    ("questions", "choose"),
    ("questions2", "questions"),
    ("identify", "questions"),
    ("checklist", "identify"),
    ("capture", "checklist"),
    ("review", "capture"),
    ("info", "choose"),
    ("needs_turn", "choose"),
    ("scan_turn", "home"),
]


@pytest.mark.parametrize(("where", "back_to"), BACK)
def test_back_from_every_step(drive: Driver, where: str, back_to: str) -> None:
    _reach(drive, where)
    drive.tap("backButton")
    assert drive.page == back_to
    if where == "checklist":
        # back to the keypad: the number typed before is gone
        assert drive.window.screen("identify").keypad.value == ""
        assert drive.flow.visit.id_number == ""
    if where == "questions2":
        assert drive.window.screen("questions").title.text() == "¿Para quién es el trámite?"


CANCEL = [
    "choose",
    "questions",
    "identify",
    "checklist",
    "capture",
    "review",
    "info",
    "needs_turn",
    "scan_turn",
    "confirm",
]


@pytest.mark.parametrize("where", CANCEL)
def test_cancel_from_every_step(drive: Driver, where: str) -> None:
    _reach(drive, where)
    drive.tap("cancelButton")
    assert drive.page == "home"
    assert drive.flow.step is Step.IDLE and drive.flow.visit is None
    texts = drive.texts()
    assert not [t for t in texts if VALID_CEDULA[:6] in t or SGRT_NAME in t], texts


def test_receipt_has_no_back_or_cancel(drive: Driver) -> None:
    drive.to_receipt()
    assert not drive.window.footer.isVisible()


# --------------------------------------------------------------------------- printing


@pytest.mark.allow_log_warnings  # "receipt not printed" is logged for the technician
def test_print_failure_shows_the_ticket_and_a_qr(drive: Driver, services: FakeServices) -> None:
    services.printer.fail = True
    services.online = False  # and the central queue is unreachable: the note says so
    drive.to_receipt()
    receipt = drive.window.screen("receipt")
    assert not receipt.printed_ok
    assert receipt.number.text() == "D-100" and receipt.number.isVisible()
    assert receipt.status.text() == ES.t("ui.receipt_print_failed")
    assert receipt.qr.isVisible() and not receipt.qr.pixmap().isNull()
    assert receipt.qr.pixmap().width() >= 300
    assert receipt.sync_note.isVisible()
    assert receipt.sync_note.text() == ES.t("ui.receipt_pending_sync")


def test_printing_runs_off_the_ui_thread_with_progress(
    drive: Driver, services: FakeServices
) -> None:
    gate = threading.Event()
    services.printer.gate = gate
    drive.sgrt_to_checklist()
    drive.tap("checklistStart")
    drive.capture_all()
    drive.confirm_review()
    receipt = drive.window.screen("receipt")
    assert receipt.printing
    assert receipt.status.text() == ES.t("ui.receipt_printing")
    assert receipt.number.text() == "D-100"  # the number is there before the paper
    gate.set()
    drive.wait_printed()
    assert receipt.printed_ok


def test_receipt_returns_home_by_itself(drive: Driver, services: FakeServices) -> None:
    drive.to_receipt()
    receipt = drive.window.screen("receipt")
    services.clock.advance(services.settings.done_timeout_s - 1)
    receipt.timer.fire()
    assert drive.page == "receipt"
    services.clock.advance(1)
    receipt.timer.fire()
    assert drive.page == "home"
    assert drive.flow.visit is None


# --------------------------------------------------------------------------- information pages


def test_other_channel_for_cita_medica(drive: Driver) -> None:
    drive.walk_in("cita-medica")
    info = drive.window.screen("info")
    assert drive.page == "info" and drive.flow.info is InfoReason.OTHER_CHANNEL
    assert info.phone.text() == "140" and info.phone.isVisible()
    assert "140" in info.text.text()
    assert info.qr.isVisible() and not info.qr.pixmap().isNull()
    drive.tap("infoSecondary")  # choose another trámite
    assert drive.page == "choose"
    drive.tap("tramite_cita-medica")
    drive.tap("infoHome")
    assert drive.page == "home"


def test_needs_turn_for_codigo_extranjeros(drive: Driver) -> None:
    drive.walk_in("codigo-extranjeros")
    info = drive.window.screen("info")
    assert drive.flow.info is InfoReason.NEEDS_TURN
    assert info.title.text() == ES.t("flow.needs_turn_title")
    assert not info.qr.pixmap().isNull()
    drive.tap("infoPrimary")  # "Ya tengo mi turno"
    assert drive.page == "scan_turn"
    assert drive.flow.mode is IdentifyMode.QR


PROBLEMS = [o for o in TurnOutcome if o is not TurnOutcome.OK]


@pytest.mark.parametrize("outcome", PROBLEMS, ids=[o.value for o in PROBLEMS])
def test_turn_problem_messages(drive: Driver, services: FakeServices, outcome: TurnOutcome) -> None:
    services.decisions.append(decision(outcome))
    drive.tap("homeTurn")
    drive.flow.turn_read(services.verify_turn("IESS1:X"))
    assert drive.page == "info"
    info = drive.window.screen("info")
    assert info.message.text() == ES.t(f"turn.{outcome.value}")
    expected_next = ES.t(f"turn.{outcome.value}_next", time="10:10")
    assert info.text.text() == expected_next
    if outcome is TurnOutcome.TOO_EARLY:
        assert "10:10" in info.text.text() and info.phone.text() == "10:10"
    assert drive.button("infoHome").isVisible()  # never a dead end
    if outcome in (TurnOutcome.UNREADABLE, TurnOutcome.NOT_IESS, TurnOutcome.MALFORMED):
        drive.tap("infoPrimary")  # try again
        assert drive.page == "scan_turn"
    else:
        drive.tap("infoHome")
        assert drive.page == "home"


def test_unknown_tramite_turn(drive: Driver, services: FakeServices) -> None:
    services.decisions.append(decision(tramite_id="pension-jubilacion"))
    drive.tap("homeTurn")
    drive.flow.turn_read(services.verify_turn("IESS1:X"))
    assert drive.flow.info is InfoReason.UNKNOWN_TRAMITE
    assert drive.window.screen("info").title.text() == ES.t("flow.unknown_tramite_title")
    drive.tap("infoHome")
    assert drive.page == "home"


def test_missing_document(drive: Driver) -> None:
    drive.sgrt_to_checklist()
    drive.tap("checklistMissing")
    assert drive.flow.info is InfoReason.MISSING_DOCUMENT
    assert drive.window.screen("info").title.text() == ES.t("flow.missing_title")
    drive.tap("infoPrimary")
    assert drive.page == "checklist"


# --------------------------------------------------------------------------- language, a11y


def test_language_switch_and_reset_after_the_visit(drive: Driver) -> None:
    w = drive.window
    drive.tap("languageButton")
    assert w.screen("home").title.text() == Translator("en").t("ui.home_title")
    assert drive.button("backButton") if w.footer.isVisible() else True
    drive.walk_in("cita-medica")
    assert w.screen("choose").cards["cita-medica"].title_label.text() == "Medical appointment"
    assert w.screen("info").subtitle.text() == Translator("en").t("flow.other_channel_title")
    drive.tap("cancelButton")
    assert w.translator.language == "es"
    assert w.screen("home").title.text() == ES.t("ui.home_title")


def test_high_contrast_and_large_text(drive: Driver) -> None:
    w = drive.window
    title = w.screen("home").title
    before = title.font().pixelSize()
    drive.tap("homeContrast")
    assert w.high_contrast and "#FFD400" in w.styleSheet()
    drive.tap("homeLargeText")
    assert title.font().pixelSize() > before
    drive.tap("homeWalkIn")
    drive.tap("cancelButton")  # the next citizen starts from the kiosk's defaults
    assert not w.high_contrast and not w.large_text
    assert title.font().pixelSize() == before


def test_help_page(drive: Driver) -> None:
    drive.tap("homeHelp")
    assert drive.page == "help"
    help_page = drive.window.screen("help")
    assert "08:00" in help_page.hours.text() and "17:00" in help_page.hours.text()
    assert help_page.phone.text() == "140"
    assert "3945 666" in help_page.phone_other.text()
    assert "gratuito" in help_page.free.text()
    assert not drive.window.footer.cancel.isVisible()
    drive.tap("backButton")
    assert drive.page == "home"


def test_offline_indicator(drive: Driver, services: FakeServices) -> None:
    w = drive.window
    assert not w.header.offline.isVisible()
    services.online = False
    for _ in range(w.SYNC_POLL_TICKS):
        w.ticker.fire()
    assert w.header.offline.isVisible()
    services.clock.advance(60)
    w.ticker.fire()
    assert w.header.clock.text() == "09:31"


def test_broken_catalog_shows_out_of_order(make_window: Any) -> None:
    from kiosk.domain.catalog import Catalog

    svc = FakeServices(catalog=Catalog((), ()))
    w = make_window(svc=svc)
    assert w.current_name() == "out_of_order"
    assert not w.footer.isVisible()


# --------------------------------------------------------------------------- the real camera path


def test_appointment_journey_through_the_real_camera_pages(
        qtbot: Any, make_window: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """QR read from camera frames, documents auto-captured from camera frames: nothing driven
    behind the pages' backs (the frames are synthetic, the camera code is the real one)."""
    import kiosk.ui.screens.capture as capture_module
    from tests.e2e import test_camera_screens as cam

    monkeypatch.setattr(capture_module, "CONFIRM_MS", 300)
    paths = {
        "turn_phone": cam._frame_files(tmp_path, "qr", [cam.qr_frame()]),
        "document": cam._frame_files(tmp_path, "doc", [cam.good_document_frame()]),
    }

    class SceneServices(cam.CameraServices):
        def open_camera(self) -> Any:
            scene = "turn_phone" if self.scenes and self.scenes[-1] == "turn_phone" else "document"
            self.frames = paths[scene]
            return super().open_camera()

    svc = SceneServices(paths["turn_phone"])
    svc.decisions.append(decision(TurnOutcome.OK, tramite_id=SGRT))
    w = make_window(svc=svc)
    drive = Driver(qtbot, w)
    drive.tap("homeTurn")
    drive.wait_page("identify", timeout=10_000)
    assert svc.verified == [cam.QR_TEXT]
    drive.type(TURN_CEDULA[-4:])
    drive.tap("keyOk")
    drive.answer("self", "cedula", "no")
    drive.tap("checklistStart")
    drive.wait_page("review", timeout=20_000)
    assert set(w.flow.visit.captures) == {"cedula", "solicitud"}
    drive.confirm_review()
    drive.wait_printed()
    assert w.screen("receipt").number.text() == "D-100"
    drive.tap("receiptDone")
    assert drive.page == "home"
