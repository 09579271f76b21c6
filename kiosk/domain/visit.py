"""The visit as an explicit state machine, Qt-free.

    IDLE ─┬─ scan turn ──► IDENTIFY(qr) ─► IDENTIFY(confirm digits) ─► QUESTIONS ─┐
          └─ walk-in ───► CHOOSE ─► QUESTIONS ─► IDENTIFY(keypad) ──────────────┤
                              └─► INFO (needs an online turn / other channel)     ▼
                  CHECKLIST ─► CAPTURE × n ─► REVIEW ─► RECEIPT ─► DONE ─► IDLE

Every state accepts cancel() and timeout() (wipe everything, back to IDLE) and back() (one step
back, undoing what that step recorded). Screens render `flow` and call its intent methods; no rule
lives in a widget. The citizen's ID number is held only in memory, only until the ticket exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kiosk.domain.catalog import Catalog, Question, Tramite
from kiosk.domain.identity import IdCheck, IdType, check_id, citizen_ref
from kiosk.domain.ports import Clock
from kiosk.domain.records import CapturedDocument, CompletedVisit, IssuedTicket
from kiosk.domain.requirements import ChecklistItem, missing_answers, resolve_checklist
from kiosk.domain.turns import TurnClaims, TurnDecision, TurnOutcome, identity_matches


class Step(StrEnum):
    IDLE = "idle"
    CHOOSE = "choose"
    INFO = "info"
    IDENTIFY = "identify"
    QUESTIONS = "questions"
    CHECKLIST = "checklist"
    CAPTURE = "capture"
    REVIEW = "review"
    RECEIPT = "receipt"
    DONE = "done"


class IdentifyMode(StrEnum):
    QR = "qr"  # hold the turn confirmation under the camera
    CONFIRM = "confirm"  # type the last digits of the ID number the turn was booked with
    KEYPAD = "keypad"  # walk-in: type the whole ID number


class InfoReason(StrEnum):
    NEEDS_TURN = "needs_turn"  # trámite requires an online turn
    OTHER_CHANNEL = "other_channel"  # the kiosk cannot do it (e.g. cita médica: 140 / web)
    TURN_PROBLEM = "turn_problem"  # the turn code was refused (decision says why)
    UNKNOWN_TRAMITE = "unknown_tramite"  # a valid turn for a trámite this kiosk does not offer
    MISSING_DOCUMENT = "missing_document"  # the citizen does not have a required document


PRIORITY_QUESTION = Question(
    id="priority",
    text="priority",  # the UI shows t("flow.priority_question"); kept here for the answer model
    options=(),
)
MAX_CONFIRM_ATTEMPTS = 3


class FlowError(RuntimeError):
    """An intent that makes no sense in the current state (a UI bug, never a citizen's fault)."""


@dataclass
class Visit:
    id: str
    started_at: datetime
    kind: str = "walk_in"  # "appointment" | "walk_in"
    tramite: Tramite | None = None
    claims: TurnClaims | None = None
    answers: dict[str, str] = field(default_factory=dict)
    priority: bool | None = None
    id_type: IdType | None = None
    id_number: str = ""  # memory only; wiped with the visit
    confirm_attempts: int = 0
    captures: dict[str, CapturedDocument] = field(default_factory=dict)
    ticket: IssuedTicket | None = None

    def __repr__(self) -> str:
        tramite = self.tramite.id if self.tramite else None
        return f"Visit({self.id[:8]}, {self.kind}, tramite={tramite}, docs={len(self.captures)})"


@dataclass(frozen=True)
class Snapshot:
    step: Step
    mode: IdentifyMode | None
    info: InfoReason | None
    decision: TurnDecision | None
    capture_id: str | None
    answers: tuple[tuple[str, str], ...]
    priority: bool | None
    captures: tuple[tuple[str, CapturedDocument], ...]


class VisitFlow:
    def __init__(
        self,
        catalog: Catalog,
        clock: Clock,
        *,
        agency_id: str,
        kiosk_id: str,
        ref_salt: bytes = b"kiosk-cau",
        on_change: Callable[[VisitFlow], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.agency_id = agency_id
        self.kiosk_id = kiosk_id
        self._ref_salt = ref_salt
        self._listeners: list[Callable[[VisitFlow], None]] = [on_change] if on_change else []
        self._reset()

    # ------------------------------------------------------------------ observation

    def subscribe(self, listener: Callable[[VisitFlow], None]) -> None:
        self._listeners.append(listener)

    def _reset(self) -> None:
        self.step = Step.IDLE
        self.mode: IdentifyMode | None = None
        self.info: InfoReason | None = None
        self.decision: TurnDecision | None = None
        self.capture_id: str | None = None
        self.visit: Visit | None = None
        self._history: list[Snapshot] = []

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    def _require(self, *steps: Step) -> Visit:
        if self.step not in steps or self.visit is None:
            raise FlowError(f"not allowed in step {self.step}")
        return self.visit

    def _snapshot(self) -> Snapshot:
        v = self.visit
        return Snapshot(
            self.step,
            self.mode,
            self.info,
            self.decision,
            self.capture_id,
            tuple(v.answers.items()) if v else (),
            v.priority if v else None,
            tuple(v.captures.items()) if v else (),
        )

    def _go(
        self,
        step: Step,
        *,
        mode: IdentifyMode | None = None,
        info: InfoReason | None = None,
        remember: bool = True,
        before: Snapshot | None = None,
    ) -> None:
        """Enter `step`; `before` is the state to return to on back(), taken before the intent
        changed anything (defaults to the state right now)."""
        if remember:
            self._history.append(before or self._snapshot())
        self.step, self.mode, self.info = step, mode, info
        self._notify()

    # ------------------------------------------------------------------ derived views

    @property
    def tramite(self) -> Tramite | None:
        return self.visit.tramite if self.visit else None

    def checklist(self) -> list[ChecklistItem]:
        v = self.visit
        if v is None or v.tramite is None:
            return []
        answers = dict(v.answers)
        if v.id_type is not None:
            answers.setdefault("id_type", v.id_type.value)
        return resolve_checklist(v.tramite, answers)

    def to_capture(self) -> list[ChecklistItem]:
        return [item for item in self.checklist() if item.capture]

    def current_capture(self) -> ChecklistItem | None:
        return next((i for i in self.to_capture() if i.id == self.capture_id), None)

    def pending_question(self) -> Question | None:
        v = self.visit
        if v is None or v.tramite is None:
            return None
        missing = missing_answers(v.tramite, v.answers)
        if missing:
            return missing[0]
        return PRIORITY_QUESTION if v.priority is None else None

    def keypad_id_type(self) -> IdType:
        v = self.visit
        if v is None or v.tramite is None:
            return IdType.CEDULA
        question = v.tramite.identify_question
        value = v.answers.get(question, "") if question else ""
        return IdType(value or v.tramite.identify_default)

    # ------------------------------------------------------------------ intents

    def _new_visit(self, kind: str) -> Visit:
        return Visit(id=uuid.uuid4().hex, started_at=self.clock.now(), kind=kind)

    def _forget_visit(self) -> None:
        """Clear the personal data of the visit being replaced (not only drop the reference)."""
        if self.visit is not None:
            self.visit.id_number = ""
            self.visit.captures.clear()
            self.visit.answers.clear()

    def start_with_turn(self) -> None:
        if self.step is not Step.IDLE and not (self.step is Step.INFO and self.visit):
            raise FlowError(f"not allowed in step {self.step}")
        self._forget_visit()
        self.visit = self._new_visit("appointment")
        self._history = []
        self.decision = None
        self._go(Step.IDENTIFY, mode=IdentifyMode.QR, remember=False)

    def start_walk_in(self) -> None:
        if self.step is not Step.IDLE:
            raise FlowError(f"not allowed in step {self.step}")
        self.visit = self._new_visit("walk_in")
        self._history = []
        self._go(Step.CHOOSE, remember=False)

    def choose_tramite(self, tramite_id: str) -> None:
        visit = self._require(Step.CHOOSE)
        tramite = self.catalog.get(tramite_id)  # KeyError: the menu offered something unknown
        visit.tramite = tramite
        if not tramite.kiosk_service:
            self._go(Step.INFO, info=InfoReason.OTHER_CHANNEL)
        elif tramite.online_turn_required:
            self._go(Step.INFO, info=InfoReason.NEEDS_TURN)
        else:
            self._go(Step.QUESTIONS)
            self._skip_answered()

    def switch_to_turn(self) -> None:
        """From "this trámite needs an online turn": the citizen says they have one."""
        self._require(Step.INFO)
        self._forget_visit()
        self.visit = self._new_visit("appointment")
        self._history = []
        self.decision = None
        self._go(Step.IDENTIFY, mode=IdentifyMode.QR, remember=False)

    def turn_read(self, decision: TurnDecision) -> None:
        """The QR reader's verdict on a turn confirmation (signature and rules already applied)."""
        visit = self._require(Step.IDENTIFY)
        if self.mode is not IdentifyMode.QR:
            raise FlowError("turn read outside QR mode")
        before = self._snapshot()
        self.decision = decision
        if not decision.ok or decision.claims is None:
            self._go(Step.INFO, info=InfoReason.TURN_PROBLEM, before=before)
            return
        try:
            tramite = self.catalog.get(decision.claims.tramite_id)
        except KeyError:
            self._go(Step.INFO, info=InfoReason.UNKNOWN_TRAMITE, before=before)
            return
        visit.claims = decision.claims
        visit.tramite = tramite
        self._go(Step.IDENTIFY, mode=IdentifyMode.CONFIRM, before=before)

    def confirm_digits(self, suffix: str) -> bool:
        visit = self._require(Step.IDENTIFY)
        if self.mode is not IdentifyMode.CONFIRM or visit.claims is None:
            raise FlowError("confirm outside CONFIRM mode")
        if identity_matches(visit.claims, suffix):
            self._go(Step.QUESTIONS)
            self._skip_answered()
            return True
        visit.confirm_attempts += 1
        if visit.confirm_attempts >= MAX_CONFIRM_ATTEMPTS:
            self.decision = TurnDecision(TurnOutcome.ALTERED, claims=visit.claims)
            # no way back to the confirmation: back() would hand out fresh guesses
            self._history = []
            self._go(Step.INFO, info=InfoReason.TURN_PROBLEM, remember=False)
        else:
            self._notify()
        return False

    @property
    def confirm_attempts_left(self) -> int:
        return MAX_CONFIRM_ATTEMPTS - (self.visit.confirm_attempts if self.visit else 0)

    def answer(self, question_id: str, value: str) -> None:
        visit = self._require(Step.QUESTIONS)
        question = self.pending_question()
        if question is None or question.id != question_id:
            raise FlowError(f"question {question_id!r} is not the one being asked")
        if question is PRIORITY_QUESTION:
            if value not in ("yes", "no"):
                raise ValueError(value)
        elif question.option(value) is None:
            raise ValueError(f"{value!r} is not an option of {question_id!r}")
        self._history.append(self._snapshot())  # only once the answer is known to be valid
        if question is PRIORITY_QUESTION:
            visit.priority = value == "yes"
        else:
            visit.answers[question_id] = value
        self._skip_answered(remember=False)

    def _skip_answered(self, remember: bool = False) -> None:
        """Leave QUESTIONS once nothing is left to ask."""
        if self.pending_question() is not None:
            self._notify()
            return
        visit = self.visit
        assert visit is not None
        if visit.kind == "walk_in" and not visit.id_number:
            self._go(Step.IDENTIFY, mode=IdentifyMode.KEYPAD, remember=remember)
        else:
            self._go(Step.CHECKLIST, remember=remember)

    def identify(self, raw: str) -> IdCheck:
        visit = self._require(Step.IDENTIFY)
        if self.mode is not IdentifyMode.KEYPAD:
            raise FlowError("identify outside KEYPAD mode")
        id_type = self.keypad_id_type()
        check = check_id(id_type, raw)
        if check.ok:
            visit.id_type = id_type
            visit.id_number = check.normalized
            self._go(Step.CHECKLIST)
        return check

    def checklist_confirmed(self) -> None:
        self._require(Step.CHECKLIST)
        self._next_capture()

    def document_missing(self) -> None:
        """The citizen says they do not have the document asked for: say so plainly."""
        self._require(Step.CHECKLIST, Step.CAPTURE)
        self._go(Step.INFO, info=InfoReason.MISSING_DOCUMENT)

    def _next_capture(self) -> None:
        visit = self.visit
        assert visit is not None
        remaining = [i for i in self.to_capture() if i.id not in visit.captures]
        before = self._snapshot()
        if remaining:
            self.capture_id = remaining[0].id
            self._go(Step.CAPTURE, before=before)
        else:
            self.capture_id = None
            self._go(Step.REVIEW, before=before)

    def document_captured(self, document: CapturedDocument) -> None:
        visit = self._require(Step.CAPTURE)
        if document.requirement_id != self.capture_id:
            raise FlowError("captured document is not the one being asked for")
        self._history.append(self._snapshot())
        visit.captures[document.requirement_id] = document
        remaining = [i for i in self.to_capture() if i.id not in visit.captures]
        if remaining:
            self.capture_id = remaining[0].id
            self.step = Step.CAPTURE
            self._notify()
        else:
            self.capture_id = None
            self._go(Step.REVIEW, remember=False)

    def retake(self, requirement_id: str) -> None:
        visit = self._require(Step.REVIEW)
        if requirement_id not in {i.id for i in self.to_capture()}:
            raise FlowError(f"{requirement_id!r} is not captured in this visit")
        before = self._snapshot()  # back() from the retake keeps the first picture
        visit.captures.pop(requirement_id, None)
        self.capture_id = requirement_id
        self._go(Step.CAPTURE, before=before)

    def review_confirmed(self) -> CompletedVisit:
        """The record to store; the caller stores it, then calls ticket_issued()."""
        visit = self._require(Step.REVIEW)
        assert visit.tramite is not None
        claims = visit.claims
        missing = [i.id for i in self.to_capture() if i.id not in visit.captures]
        if missing:
            raise FlowError(f"review with documents still to capture: {', '.join(missing)}")
        docs = tuple(visit.captures[i.id] for i in self.to_capture())
        ref = ""
        if visit.id_number:
            ref = citizen_ref(visit.id_number, self._ref_salt)
        elif claims is not None:
            ref = claims.id_check
        return CompletedVisit(
            visit_id=visit.id,
            agency_id=self.agency_id,
            kiosk_id=self.kiosk_id,
            tramite_id=visit.tramite.id,
            kind="appointment" if claims else "walk_in",
            started_at=visit.started_at,
            completed_at=self.clock.now(),
            service_letter=visit.tramite.service_letter,
            answers=dict(visit.answers),
            turn_id=claims.turn_id if claims else None,
            slot_start=claims.slot_start if claims else None,
            citizen_ref=ref,
            id_type=visit.id_type.value if visit.id_type else "",
            priority=bool(visit.priority),
            documents=docs,
        )

    def ticket_issued(self, ticket: IssuedTicket) -> None:
        visit = self._require(Step.REVIEW)
        visit.ticket = ticket
        visit.id_number = ""  # the ticket exists: the number is no longer needed anywhere
        self._history = []  # no way back from a ticket
        self._go(Step.RECEIPT, remember=False)

    def finish(self) -> None:
        self._require(Step.RECEIPT)
        self._go(Step.DONE, remember=False)

    def back(self) -> None:
        if self.step in (Step.IDLE, Step.RECEIPT, Step.DONE):
            return
        if not self._history:
            self.cancel()
            return
        snap = self._history.pop()
        visit = self.visit
        assert visit is not None
        visit.answers = dict(snap.answers)
        visit.priority = snap.priority
        visit.captures = dict(snap.captures)
        keypad_or_before = snap.step in (Step.CHOOSE, Step.QUESTIONS, Step.IDENTIFY)
        if keypad_or_before and snap.mode is not IdentifyMode.CONFIRM:
            visit.id_number = ""
            visit.id_type = None
        if snap.step is Step.CHOOSE:
            visit.tramite = None
        if snap.step is Step.IDENTIFY and snap.mode is IdentifyMode.QR:
            # back to scanning: forget the turn that was read
            visit.claims = None
            visit.tramite = None
            visit.confirm_attempts = 0
        self.step, self.mode, self.info = snap.step, snap.mode, snap.info
        self.decision, self.capture_id = snap.decision, snap.capture_id
        self._notify()

    def cancel(self) -> None:
        """Citizen leaves: wipe everything of this visit."""
        self._wipe()

    def timeout(self) -> None:
        """Nobody answered "¿Sigue ahí?": same wipe as cancel."""
        self._wipe()

    def done(self) -> None:
        """Receipt taken (or the done screen timed out): wipe, ready for the next citizen."""
        self._wipe()

    def _wipe(self) -> None:
        self._forget_visit()
        self._reset()
        self._notify()

    @property
    def in_visit(self) -> bool:
        return self.step is not Step.IDLE
