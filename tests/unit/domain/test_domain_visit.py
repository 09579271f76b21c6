"""The visit state machine, driven without a screen and with a fake clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from domain_fakes import CATALOG_DIR, GYE, FakeClock, document

from kiosk.domain.catalog import Catalog, load_catalog
from kiosk.domain.identity import IdProblem, IdType, citizen_ref
from kiosk.domain.records import IssuedTicket
from kiosk.domain.turns import TurnClaims, TurnDecision, TurnOutcome, id_check_digest
from kiosk.domain.visit import (
    MAX_CONFIRM_ATTEMPTS,
    PRIORITY_QUESTION,
    FlowError,
    IdentifyMode,
    InfoReason,
    Step,
    VisitFlow,
)

CATALOG: Catalog = load_catalog(CATALOG_DIR)
SGRT = "certificado-atencion-medica-sgrt"
EXT = "codigo-extranjeros"
CITA = "cita-medica"
CEDULA = "1710034065"
SALT = b"test-salt"
AGENCY = "CAU-QUITO-CENTRO"


def make_flow(clock: FakeClock | None = None) -> VisitFlow:
    return VisitFlow(CATALOG, clock or FakeClock(), agency_id=AGENCY, kiosk_id="kiosk-07",
                     ref_salt=SALT)


def claims(tramite_id: str = EXT, id_number: str = CEDULA) -> TurnClaims:
    slot = datetime(2026, 11, 25, 10, 0, tzinfo=GYE)
    return TurnClaims(
        turn_id="T-42",
        agency_id=AGENCY,
        tramite_id=tramite_id,
        slot_start=slot,
        expires_at=slot + timedelta(hours=8),
        id_check=id_check_digest("T-42", id_number),
        id_hint=id_number[-2:],
    )


def ok_turn(tramite_id: str = EXT) -> TurnDecision:
    return TurnDecision(TurnOutcome.OK, claims=claims(tramite_id))


def ticket() -> IssuedTicket:
    return IssuedTicket("ab" * 16, "D-101", datetime(2026, 11, 25, 10, 5, tzinfo=GYE))


Action = Callable[[VisitFlow], Any]

WALK_IN: list[Action] = [
    lambda f: f.start_walk_in(),
    lambda f: f.choose_tramite(SGRT),
    lambda f: f.answer("on_behalf", "third_party"),
    lambda f: f.answer("id_type", "cedula"),
    lambda f: f.answer("third_party_id_type", "foreigner_code"),
    lambda f: f.answer("priority", "no"),
    lambda f: f.identify(CEDULA),
    lambda f: f.checklist_confirmed(),
    lambda f: f.document_captured(document("cedula")),
    lambda f: f.document_captured(document("solicitud")),
    lambda f: f.document_captured(document("autorizacion-terceros")),
    lambda f: f.document_captured(document("codigo-extranjero-tercero")),
    lambda f: f.retake("solicitud"),
    lambda f: f.document_captured(document("solicitud", b"sharper")),
    lambda f: f.ticket_issued(ticket()),
    lambda f: f.finish(),
]

APPOINTMENT: list[Action] = [
    lambda f: f.start_with_turn(),
    lambda f: f.turn_read(ok_turn()),
    lambda f: f.confirm_digits("4065"),
    lambda f: f.answer("on_behalf", "self"),
    lambda f: f.answer("priority", "yes"),
    lambda f: f.checklist_confirmed(),
    lambda f: f.document_captured(document("solicitud")),
    lambda f: f.document_captured(document("pasaporte")),
    lambda f: f.document_missing(),
]

INFO_PATHS: dict[str, list[Action]] = {
    "needs_turn": [lambda f: f.start_walk_in(), lambda f: f.choose_tramite(EXT)],
    "other_channel": [lambda f: f.start_walk_in(), lambda f: f.choose_tramite(CITA)],
    "turn_problem": [
        lambda f: f.start_with_turn(),
        lambda f: f.turn_read(TurnDecision(TurnOutcome.TOO_LATE, claims=claims())),
    ],
    "unknown_tramite": [
        lambda f: f.start_with_turn(),
        lambda f: f.turn_read(ok_turn("jubilacion-vejez")),
    ],
}


def run(actions: list[Action], flow: VisitFlow | None = None) -> VisitFlow:
    flow = flow or make_flow()
    for action in actions:
        action(flow)
    return flow


def state(flow: VisitFlow) -> tuple[Any, ...]:
    """Everything a screen or the record can see, to compare before/after back()."""
    v = flow.visit
    visit_part: tuple[Any, ...] = ()
    if v is not None:
        visit_part = (
            v.kind,
            v.tramite.id if v.tramite else None,
            v.claims.turn_id if v.claims else None,
            dict(v.answers),
            v.priority,
            v.id_type,
            v.id_number,
            {k: d.data for k, d in v.captures.items()},
        )
    decision = flow.decision.outcome if flow.decision else None
    return (flow.step, flow.mode, flow.info, decision, flow.capture_id, visit_part)


# ----------------------------------------------------------------- the happy paths


def test_walk_in_path_step_by_step() -> None:
    clock = FakeClock()
    flow = make_flow(clock)
    assert flow.step is Step.IDLE and not flow.in_visit and flow.visit is None
    flow.start_walk_in()
    assert flow.step is Step.CHOOSE and flow.in_visit
    assert flow.visit is not None and flow.visit.kind == "walk_in"
    flow.choose_tramite(SGRT)
    assert flow.step is Step.QUESTIONS
    assert flow.tramite is not None and flow.tramite.id == SGRT
    asked = []
    for qid, value in [("on_behalf", "self"), ("id_type", "cedula"), ("priority", "no")]:
        question = flow.pending_question()
        assert question is not None
        asked.append(question.id)
        flow.answer(qid, value)
    assert asked == ["on_behalf", "id_type", "priority"]
    assert flow.pending_question() is None
    assert (flow.step, flow.mode) == (Step.IDENTIFY, IdentifyMode.KEYPAD)
    assert flow.keypad_id_type() is IdType.CEDULA
    bad = flow.identify("1710034064")
    assert bad.problem is IdProblem.BAD_CHECK_DIGIT
    assert flow.step is Step.IDENTIFY and flow.visit.id_number == ""
    good = flow.identify("171003406 5")
    assert good.ok
    assert flow.step is Step.CHECKLIST
    assert flow.visit.id_number == CEDULA and flow.visit.id_type is IdType.CEDULA
    assert [i.id for i in flow.checklist()] == ["cedula", "solicitud"]
    flow.checklist_confirmed()
    assert (flow.step, flow.capture_id) == (Step.CAPTURE, "cedula")
    current = flow.current_capture()
    assert current is not None and current.id == "cedula"
    flow.document_captured(document("cedula"))
    assert (flow.step, flow.capture_id) == (Step.CAPTURE, "solicitud")
    flow.document_captured(document("solicitud"))
    assert (flow.step, flow.capture_id) == (Step.REVIEW, None)
    clock.advance(95)
    record = flow.review_confirmed()
    assert record.kind == "walk_in"
    assert record.tramite_id == SGRT
    assert record.agency_id == AGENCY and record.kiosk_id == "kiosk-07"
    assert record.service_letter == "D"
    assert record.answers == {"on_behalf": "self", "id_type": "cedula"}
    assert record.turn_id is None and record.slot_start is None
    assert record.id_type == "cedula"
    assert record.priority is False
    assert record.citizen_ref == citizen_ref(CEDULA, SALT)
    assert record.completed_at - record.started_at == timedelta(seconds=95)
    assert [d.requirement_id for d in record.documents] == ["cedula", "solicitud"]
    assert flow.step is Step.REVIEW  # storing is the caller's job
    flow.ticket_issued(ticket())
    assert flow.step is Step.RECEIPT
    assert flow.visit.id_number == ""
    assert flow.visit.ticket is not None and flow.visit.ticket.number == "D-101"
    flow.finish()
    assert flow.step is Step.DONE
    flow.done()
    assert flow.step is Step.IDLE and flow.visit is None


def test_record_never_contains_the_id_number() -> None:
    flow = run(WALK_IN[:-2])
    assert flow.step is Step.REVIEW
    record = flow.review_confirmed()
    dumped = repr(dataclasses.asdict(record)) + repr(record)
    assert CEDULA not in dumped
    assert CEDULA[-4:] not in repr(dataclasses.asdict(record)["answers"])
    assert record.citizen_ref and CEDULA not in record.citizen_ref
    assert record.priority is False
    # documents in checklist order, the retaken one replaced
    assert [d.requirement_id for d in record.documents] == [
        "cedula", "solicitud", "autorizacion-terceros", "codigo-extranjero-tercero"]
    assert record.documents[1].data == b"sharper"


def test_appointment_path() -> None:
    flow = make_flow()
    flow.start_with_turn()
    assert (flow.step, flow.mode) == (Step.IDENTIFY, IdentifyMode.QR)
    assert flow.visit is not None and flow.visit.kind == "appointment"
    flow.turn_read(ok_turn())
    assert (flow.step, flow.mode) == (Step.IDENTIFY, IdentifyMode.CONFIRM)
    assert flow.tramite is not None and flow.tramite.id == EXT
    assert flow.confirm_attempts_left == MAX_CONFIRM_ATTEMPTS
    assert flow.confirm_digits("4065") is True
    assert flow.step is Step.QUESTIONS
    assert flow.pending_question() is not None and flow.pending_question().id == "on_behalf"
    flow.answer("on_behalf", "third_party")
    flow.answer("third_party_id_type", "cedula")
    assert flow.pending_question() is PRIORITY_QUESTION
    flow.answer("priority", "yes")
    assert flow.step is Step.CHECKLIST  # no keypad: the turn already identified the citizen
    assert [i.id for i in flow.checklist()] == [
        "solicitud", "pasaporte", "visa", "contrato-trabajo", "autorizacion-terceros",
        "cedula-tercero"]
    flow.checklist_confirmed()
    for item in flow.to_capture():
        assert flow.capture_id == item.id
        flow.document_captured(document(item.id))
    assert flow.step is Step.REVIEW
    record = flow.review_confirmed()
    assert record.kind == "appointment"
    assert record.turn_id == "T-42"
    assert record.slot_start == claims().slot_start
    assert record.citizen_ref == claims().id_check
    assert record.id_type == ""
    assert record.priority is True
    assert record.service_letter == "E"
    assert len(record.documents) == 6


def test_needs_turn_then_switch_to_turn() -> None:
    flow = run(INFO_PATHS["needs_turn"])
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.NEEDS_TURN)
    assert flow.tramite is not None and flow.tramite.online_turn_url
    first_visit = flow.visit
    flow.switch_to_turn()
    assert (flow.step, flow.mode) == (Step.IDENTIFY, IdentifyMode.QR)
    assert flow.visit is not first_visit
    assert flow.visit is not None and flow.visit.kind == "appointment"
    assert flow.visit.tramite is None
    flow.back()  # nothing before the QR screen of a fresh appointment visit: home
    assert flow.step is Step.IDLE and flow.visit is None


def test_other_channel_for_cita_medica() -> None:
    flow = run(INFO_PATHS["other_channel"])
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.OTHER_CHANNEL)
    assert flow.tramite is not None and flow.tramite.redirect is not None
    assert flow.tramite.redirect.phone == "140"


@pytest.mark.parametrize(
    "outcome", [o for o in TurnOutcome if o is not TurnOutcome.OK]
)
def test_turn_problem_keeps_the_decision(outcome: TurnOutcome) -> None:
    flow = make_flow()
    flow.start_with_turn()
    decision = TurnDecision(outcome, claims=claims())
    flow.turn_read(decision)
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.TURN_PROBLEM)
    assert flow.decision is decision
    assert flow.visit is not None and flow.visit.claims is None
    flow.start_with_turn()  # "try again"
    assert (flow.step, flow.mode, flow.decision) == (Step.IDENTIFY, IdentifyMode.QR, None)


def test_turn_ok_without_claims_is_a_problem() -> None:
    flow = make_flow()
    flow.start_with_turn()
    flow.turn_read(TurnDecision(TurnOutcome.OK))
    assert flow.info is InfoReason.TURN_PROBLEM


def test_unknown_tramite() -> None:
    flow = run(INFO_PATHS["unknown_tramite"])
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.UNKNOWN_TRAMITE)
    assert flow.tramite is None


def test_confirm_digits_three_wrong_attempts() -> None:
    flow = run(APPOINTMENT[:2])
    notified: list[Step] = []
    flow.subscribe(lambda f: notified.append(f.step))
    assert flow.confirm_digits("1234") is False
    assert flow.confirm_attempts_left == 2
    assert (flow.step, flow.mode) == (Step.IDENTIFY, IdentifyMode.CONFIRM)
    assert notified == [Step.IDENTIFY]  # the screen hears about the failed attempt
    assert flow.confirm_digits("065") is False
    assert flow.confirm_attempts_left == 1
    assert flow.confirm_digits("0000") is False
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.TURN_PROBLEM)
    assert flow.decision is not None and flow.decision.outcome is TurnOutcome.ALTERED
    # no way back to the confirmation to guess again
    flow.back()
    assert flow.step is not Step.IDENTIFY
    assert flow.step is Step.IDLE and flow.visit is None


def test_confirm_digits_right_on_the_last_attempt() -> None:
    flow = run(APPOINTMENT[:2])
    flow.confirm_digits("1111")
    flow.confirm_digits("2222")
    assert flow.confirm_digits("4065") is True
    assert flow.step is Step.QUESTIONS


def test_priority_question() -> None:
    flow = run(WALK_IN[:5])
    assert flow.pending_question() is PRIORITY_QUESTION
    before = state(flow)
    with pytest.raises(ValueError):
        flow.answer("priority", "maybe")
    assert state(flow) == before
    flow.answer("priority", "yes")
    assert flow.visit is not None and flow.visit.priority is True
    flow.back()
    assert state(flow) == before  # one back() undoes exactly one answer


def test_invalid_option_leaves_no_trace() -> None:
    flow = run(WALK_IN[:2])
    before = state(flow)
    with pytest.raises(ValueError):
        flow.answer("on_behalf", "my-cousin")
    assert state(flow) == before
    flow.answer("on_behalf", "self")
    flow.back()
    assert state(flow) == before
    flow.back()
    assert flow.step is Step.CHOOSE and flow.tramite is None


def test_keypad_id_type_follows_the_answer() -> None:
    flow = make_flow()
    flow.start_walk_in()
    flow.choose_tramite(SGRT)
    flow.answer("on_behalf", "self")
    flow.answer("id_type", "foreigner_code")
    flow.answer("priority", "no")
    assert flow.keypad_id_type() is IdType.FOREIGNER_CODE
    check = flow.identify(CEDULA[:3] + "X")  # too short for a code
    assert check.problem is IdProblem.WRONG_LENGTH
    check = flow.identify("ext-123456")
    assert check.ok and check.id_type is IdType.FOREIGNER_CODE
    assert flow.visit is not None and flow.visit.id_type is IdType.FOREIGNER_CODE
    assert flow.visit.id_number == "EXT123456"
    assert [i.id for i in flow.checklist()] == ["codigo-extranjero", "solicitud"]
    assert flow.checklist()[0].replaced == "cedula"


def test_keypad_id_type_default_without_visit() -> None:
    assert make_flow().keypad_id_type() is IdType.CEDULA


def test_captures_in_order_and_wrong_document_refused() -> None:
    flow = run(WALK_IN[:7])
    assert flow.step is Step.CHECKLIST
    assert [i.id for i in flow.to_capture()] == [
        "cedula", "solicitud", "autorizacion-terceros", "codigo-extranjero-tercero"]
    flow.checklist_confirmed()
    seen = []
    while flow.step is Step.CAPTURE:
        assert flow.capture_id is not None
        seen.append(flow.capture_id)
        with pytest.raises(FlowError):
            flow.document_captured(document("visa"))
        flow.document_captured(document(flow.capture_id))
    assert seen == [i.id for i in flow.to_capture()]
    assert flow.step is Step.REVIEW


def test_retake_and_back_from_the_retake() -> None:
    flow = run(WALK_IN[:12])
    assert flow.step is Step.REVIEW
    at_review = state(flow)
    flow.retake("solicitud")
    assert (flow.step, flow.capture_id) == (Step.CAPTURE, "solicitud")
    assert flow.visit is not None and "solicitud" not in flow.visit.captures
    flow.back()  # changed their mind: the first picture is still good
    assert state(flow) == at_review
    assert len(flow.review_confirmed().documents) == 4
    with pytest.raises(FlowError):
        flow.retake("visa")


def test_review_refuses_a_visit_with_a_missing_document() -> None:
    flow = run(WALK_IN[:12])
    assert flow.visit is not None
    del flow.visit.captures["solicitud"]  # whatever the cause, never store half a visit
    with pytest.raises(FlowError):
        flow.review_confirmed()


def test_document_missing_from_checklist_and_capture() -> None:
    flow = run(WALK_IN[:7])
    assert flow.step is Step.CHECKLIST
    before = state(flow)
    flow.document_missing()
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.MISSING_DOCUMENT)
    flow.back()
    assert state(flow) == before
    flow = run(APPOINTMENT)
    assert (flow.step, flow.info) == (Step.INFO, InfoReason.MISSING_DOCUMENT)
    flow.back()
    assert (flow.step, flow.capture_id) == (Step.CAPTURE, "visa")


def test_ticket_issued_wipes_the_id_number_and_the_way_back() -> None:
    flow = run(WALK_IN[:-1])
    assert flow.step is Step.RECEIPT
    assert flow.visit is not None and flow.visit.id_number == ""
    flow.back()
    assert flow.step is Step.RECEIPT
    flow.finish()
    flow.back()
    assert flow.step is Step.DONE
    flow.done()
    assert flow.step is Step.IDLE


# ----------------------------------------------------------------- back, cancel, timeout


def _back_cases() -> list[tuple[str, list[Action], int]]:
    cases = []
    for name, path in [("walk_in", WALK_IN[:-2]), ("appointment", APPOINTMENT)]:
        for k in range(1, len(path) + 1):
            cases.append((name, path, k))
    for name, path in INFO_PATHS.items():
        cases.append((name, path, len(path)))
    return cases


@pytest.mark.parametrize(
    ("path", "k"),
    [(p, k) for _, p, k in _back_cases()],
    ids=[f"{n}-{k}" for n, _, k in _back_cases()],
)
def test_back_restores_the_previous_step(path: list[Action], k: int) -> None:
    before = state(run(path[: k - 1]))
    flow = run(path[:k])
    flow.back()
    assert state(flow) == before


@pytest.mark.parametrize(
    ("path", "k"),
    [(p, k) for _, p, k in _back_cases()] + [(WALK_IN, len(WALK_IN) - 1), (WALK_IN, len(WALK_IN))],
    ids=[f"{n}-{k}" for n, _, k in _back_cases()] + ["receipt", "done"],
)
@pytest.mark.parametrize("how", ["cancel", "timeout", "done"])
def test_cancel_and_timeout_wipe_everything(path: list[Action], k: int, how: str) -> None:
    flow = run(path[:k])
    visit = flow.visit
    assert visit is not None
    calls: list[Step] = []
    flow.subscribe(lambda f: calls.append(f.step))
    getattr(flow, how)()
    assert calls == [Step.IDLE]
    assert flow.step is Step.IDLE and flow.visit is None
    assert (flow.mode, flow.info, flow.decision, flow.capture_id) == (None, None, None, None)
    assert visit.id_number == "" and visit.captures == {} and visit.answers == {}
    assert flow.checklist() == [] and flow.pending_question() is None
    flow.back()  # nothing to go back to
    assert flow.step is Step.IDLE and flow.visit is None


# ----------------------------------------------------------------- refused intents


INTENTS: dict[str, Action] = {
    "start_walk_in": lambda f: f.start_walk_in(),
    "start_with_turn": lambda f: f.start_with_turn(),
    "choose_tramite": lambda f: f.choose_tramite(SGRT),
    "switch_to_turn": lambda f: f.switch_to_turn(),
    "turn_read": lambda f: f.turn_read(ok_turn()),
    "confirm_digits": lambda f: f.confirm_digits("4065"),
    "answer": lambda f: f.answer("on_behalf", "self"),
    "identify": lambda f: f.identify(CEDULA),
    "checklist_confirmed": lambda f: f.checklist_confirmed(),
    "document_missing": lambda f: f.document_missing(),
    "document_captured": lambda f: f.document_captured(document("cedula")),
    "retake": lambda f: f.retake("cedula"),
    "review_confirmed": lambda f: f.review_confirmed(),
    "ticket_issued": lambda f: f.ticket_issued(ticket()),
    "finish": lambda f: f.finish(),
}

# where each intent is accepted (step, identify mode)
ALLOWED: dict[str, set[tuple[Step, IdentifyMode | None]]] = {
    "start_walk_in": {(Step.IDLE, None)},
    "start_with_turn": {(Step.IDLE, None), (Step.INFO, None)},
    "choose_tramite": {(Step.CHOOSE, None)},
    "switch_to_turn": {(Step.INFO, None)},
    "turn_read": {(Step.IDENTIFY, IdentifyMode.QR)},
    "confirm_digits": {(Step.IDENTIFY, IdentifyMode.CONFIRM)},
    "answer": {(Step.QUESTIONS, None)},
    "identify": {(Step.IDENTIFY, IdentifyMode.KEYPAD)},
    "checklist_confirmed": {(Step.CHECKLIST, None)},
    "document_missing": {(Step.CHECKLIST, None), (Step.CAPTURE, None)},
    "document_captured": {(Step.CAPTURE, None)},
    "retake": {(Step.REVIEW, None)},
    "review_confirmed": {(Step.REVIEW, None)},
    "ticket_issued": {(Step.REVIEW, None)},
    "finish": {(Step.RECEIPT, None)},
}

STATES: dict[str, list[Action]] = {
    "idle": [],
    "choose": WALK_IN[:1],
    "questions": WALK_IN[:2],
    "keypad": WALK_IN[:6],
    "qr": APPOINTMENT[:1],
    "confirm": APPOINTMENT[:2],
    "checklist": WALK_IN[:7],
    "capture": WALK_IN[:8],
    "review": WALK_IN[:12],
    "info": INFO_PATHS["other_channel"],
    "receipt": WALK_IN[:-1],
    "done": WALK_IN,
}


def _refused() -> list[tuple[str, str]]:
    """(state, intent) pairs where the intent must be refused; accepted ones are covered by
    the path tests above."""
    pairs = []
    for where, actions in sorted(STATES.items()):
        flow = run(actions)
        for intent in sorted(INTENTS):
            if (flow.step, flow.mode) not in ALLOWED[intent]:
                pairs.append((where, intent))
    return pairs


def test_the_refusal_matrix_is_not_empty() -> None:
    refused = _refused()
    accepted = {(w, i) for w in STATES for i in INTENTS} - set(refused)
    assert {i for _, i in accepted} == set(INTENTS)  # every intent is reachable somewhere
    assert ("idle", "choose_tramite") in refused and ("choose", "choose_tramite") not in refused


@pytest.mark.parametrize(("where", "intent"), _refused())
def test_flow_error_on_intents_in_the_wrong_step(where: str, intent: str) -> None:
    flow = run(STATES[where])
    before = state(flow)
    with pytest.raises(FlowError):
        INTENTS[intent](flow)
    assert state(flow) == before


def test_answering_a_question_that_is_not_asked() -> None:
    flow = run(WALK_IN[:2])
    with pytest.raises(FlowError):
        flow.answer("third_party_id_type", "cedula")
    with pytest.raises(FlowError):
        flow.answer("priority", "yes")


def test_unknown_tramite_in_the_menu_is_a_key_error() -> None:
    flow = run(WALK_IN[:1])
    with pytest.raises(KeyError):
        flow.choose_tramite("jubilacion-vejez")
    assert flow.step is Step.CHOOSE


# ----------------------------------------------------------------- listeners, privacy


def test_listeners_hear_every_change() -> None:
    heard: list[tuple[Step, IdentifyMode | None]] = []
    flow = VisitFlow(CATALOG, FakeClock(), agency_id=AGENCY, kiosk_id="k",
                     on_change=lambda f: heard.append((f.step, f.mode)))
    second: list[Step] = []
    flow.subscribe(lambda f: second.append(f.step))
    run(WALK_IN[:8], flow)
    steps = [s for s, _ in heard]
    for step in (Step.CHOOSE, Step.QUESTIONS, Step.IDENTIFY, Step.CHECKLIST, Step.CAPTURE):
        assert step in steps
    assert heard[-1] == (Step.CAPTURE, None)
    assert second == steps
    n = len(heard)
    flow.document_captured(document("cedula"))
    assert len(heard) == n + 1 and flow.capture_id == "solicitud"  # next document, same step


def test_visit_repr_hides_personal_data() -> None:
    flow = run(WALK_IN[:9])
    assert flow.visit is not None
    text = repr(flow.visit) + str(flow.visit)
    assert CEDULA not in text
    assert "third_party" not in text


@pytest.mark.parametrize("how", ["start_with_turn", "switch_to_turn"])
def test_a_new_turn_visit_wipes_the_one_it_replaces(how: str) -> None:
    flow = run(WALK_IN[:9])  # identified, one document captured
    flow.document_missing()
    old = flow.visit
    assert old is not None and old.id_number == CEDULA and old.captures
    getattr(flow, how)()
    assert flow.visit is not old
    assert old.id_number == "" and old.captures == {} and old.answers == {}
