"""In-process fakes of the kiosk's services: the REAL domain (catalog, VisitFlow, turn rules,
identity checks) with controllable time, tickets, printer, turn verifier and camera.

Used by the e2e tests, the camera-screen tests and the screenshot script. Qt-free.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.config import KioskSettings
from kiosk.domain.catalog import Catalog, load_catalog
from kiosk.domain.ports import (
    PrinterState,
    PrinterStatus,
    PrintResult,
    Receipt,
    SyncHealth,
)
from kiosk.domain.records import CapturedDocument, CompletedVisit, IssuedTicket
from kiosk.domain.requirements import ChecklistItem
from kiosk.domain.turns import TurnClaims, TurnDecision, TurnOutcome, id_check_digest
from kiosk.domain.visit import VisitFlow
from kiosk.i18n import Translator
from kiosk.store.testing import FakeClock as StoreFakeClock

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "resources" / "catalog"
ECUADOR = timezone(timedelta(hours=-5), "ECT")

# A valid cédula (province 17, modulo-10 check digit OK) for journeys that must pass.
VALID_CEDULA = "1710034065"
TURN_CEDULA = "0926687856"  # the citizen who booked the demo online turn (suffix 7856)


class FakeClock(StoreFakeClock):
    """Wall clock and monotonic clock that only move when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start or datetime(2026, 11, 25, 9, 30, tzinfo=ECUADOR))


class SyntheticFrameSource:
    """A trivial in-memory camera (kiosk.scanning.camera.FrameSource protocol): grey frames
    with a white "document" rectangle. Enough for pages that only need a live preview; tests
    that need real QR codes or documents give their own ImageSequenceSource."""

    def __init__(self, width: int = 640, height: int = 360, count: int | None = None,
                 fps: float | None = 10.0) -> None:
        self.width, self.height = width, height
        self.fps = fps  # paced like a recorded file, so a test's CPU is not spent on frames
        self._count = count
        self._served = 0
        self.closed = False
        frame = np.full((height, width, 3), 90, np.uint8)
        frame[height // 6 : height * 5 // 6, width // 4 : width * 3 // 4] = 235
        self._frame = frame

    def open(self) -> None:
        self.closed = False

    def read(self) -> np.ndarray | None:
        if self.closed or (self._count is not None and self._served >= self._count):
            return None
        self._served += 1
        return self._frame.copy()

    def release(self) -> None:
        self.closed = True

    close = release

    def describe(self) -> str:
        return f"synthetic {self.width}x{self.height}"


def make_claims(
    *,
    tramite_id: str = "codigo-extranjeros",
    id_number: str = TURN_CEDULA,
    agency_id: str = "CAU-QUITO-CENTRO",
    slot_start: datetime | None = None,
    turn_id: str | None = None,
) -> TurnClaims:
    """Verified claims of an online turn, bound to the last digits of `id_number`."""
    turn_id = turn_id or f"T-{uuid.uuid4().hex[:10]}"
    slot = slot_start or datetime(2026, 11, 25, 9, 40, tzinfo=ECUADOR)
    return TurnClaims(
        turn_id=turn_id,
        agency_id=agency_id,
        tramite_id=tramite_id,
        slot_start=slot,
        expires_at=slot + timedelta(hours=2),
        id_check=id_check_digest(turn_id, id_number),
        id_hint=id_number[-2:],
        key_id="test-key",
    )


def decision(outcome: TurnOutcome | str = TurnOutcome.OK, **claims: Any) -> TurnDecision:
    """A TurnDecision as the verifier would return it (claims included, come-back time for
    TOO_EARLY)."""
    outcome = TurnOutcome(outcome)
    if outcome is TurnOutcome.TOO_EARLY:  # a slot later today than the fake clock's 09:30
        claims.setdefault("slot_start", datetime(2026, 11, 25, 10, 40, tzinfo=ECUADOR))
    c = make_claims(**claims)
    come_back = c.slot_start - timedelta(minutes=30) if outcome is TurnOutcome.TOO_EARLY else None
    if outcome in (TurnOutcome.UNREADABLE, TurnOutcome.NOT_IESS, TurnOutcome.MALFORMED):
        return TurnDecision(outcome)
    return TurnDecision(outcome, come_back_at=come_back, claims=c)


@dataclass
class FakePrinter:
    """Records receipts; `fail` makes it report paper-out; `gate` (an Event) makes printing
    wait so a test can see the "Imprimiendo…" state."""

    name: str = "fake-printer"
    fail: bool = False
    gate: threading.Event | None = None
    printed: list[Receipt] = field(default_factory=list)
    attempts: int = 0

    def status(self) -> PrinterStatus:
        return PrinterStatus(PrinterState.PAPER_OUT if self.fail else PrinterState.READY)

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        self.attempts += 1
        if self.gate is not None:
            self.gate.wait(10)
        status = self.status()
        if self.fail:
            return PrintResult(False, status, error="paper out (fake)")
        self.printed.append(receipt)
        return PrintResult(True, status, job_id=f"job-{len(self.printed)}")


class FakeServices:
    """KioskServices with the real domain and fake I/O."""

    def __init__(
        self,
        settings: KioskSettings | None = None,
        *,
        clock: FakeClock | None = None,
        catalog: Catalog | None = None,
        decisions: Iterable[TurnDecision] = (),
    ) -> None:
        self.settings = settings or KioskSettings()
        self.catalog = catalog or load_catalog(CATALOG_DIR).restricted_to(self.settings.tramites)
        self.clock = clock or FakeClock()
        self.translator = Translator(self.settings.language)
        self.printer = FakePrinter()
        self.decisions: deque[TurnDecision] = deque(decisions)
        self.verified: list[str] = []
        self.tickets: list[tuple[CompletedVisit, IssuedTicket]] = []
        self.scenes: list[str] = []
        self.cameras: list[Any] = []
        self.online = True
        self.backlog = 0
        self.pending_sync = False
        self._next_number = self.settings.ticket_block_start
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- flow

    def new_flow(self) -> VisitFlow:
        return VisitFlow(self.catalog, self.clock, agency_id=self.settings.agency_id,
                         kiosk_id=self.settings.kiosk_id)

    def verify_turn(self, qr_text: str) -> TurnDecision:
        self.verified.append(qr_text)
        if self.decisions:
            return self.decisions.popleft()
        return TurnDecision(TurnOutcome.UNREADABLE)

    # ---------------------------------------------------------------- tickets and receipts

    def issue_ticket(self, visit: CompletedVisit) -> IssuedTicket:
        with self._lock:
            number = f"{visit.service_letter}-{self._next_number}"
            self._next_number += 1
            ticket = IssuedTicket(uuid.uuid4().hex, number, self.clock.now(),
                                  pending_sync=self.pending_sync or not self.online)
            self.tickets.append((visit, ticket))
        return ticket

    def receipt_for(self, flow: VisitFlow) -> Receipt:
        visit = flow.visit
        if visit is None or visit.ticket is None or visit.tramite is None:
            raise RuntimeError("receipt_for() needs an issued ticket")
        ticket, tramite = visit.ticket, visit.tramite
        items = flow.checklist()
        return Receipt(
            ticket_id=ticket.ticket_id,
            ticket_number=ticket.number,
            agency_name=self.settings.agency_name,
            tramite_name=tramite.name,
            service_area=tramite.service_area,
            issued_at=ticket.issued_at,
            kind="appointment" if visit.claims else "walk_in",
            status_url=f"{self.settings.status_url_base}{ticket.ticket_id[:12]}",
            appointment_at=visit.claims.slot_start if visit.claims else None,
            queue_position=3,
            wait_minutes=(10, 20),
            captured_documents=tuple(i.requirement.name for i in items if i.capture),
            originals_to_show=tuple(
                i.requirement.name for i in items if i.requirement.present_original
            ),
            pending_sync=ticket.pending_sync,
            priority=bool(visit.priority),
            language=self.translator.language,
        )

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        return self.printer.print_receipt(receipt)

    def printer_status(self) -> PrinterStatus:
        return self.printer.status()

    # ---------------------------------------------------------------- camera and documents

    def open_camera(self) -> Any:
        source = SyntheticFrameSource()
        self.cameras.append(source)
        return source

    def camera_scene(self, scene: str) -> None:
        self.scenes.append(scene)

    def make_document(
        self, item: ChecklistItem, frame_bgr: np.ndarray, corners: tuple[tuple[float, float], ...]
    ) -> CapturedDocument:
        return fake_document(item.id)

    # ---------------------------------------------------------------- sync

    def sync_health(self) -> SyncHealth:
        return SyncHealth(online=self.online, backlog=self.backlog,
                          last_success=None if not self.online else self.clock.now())


def fake_document(requirement_id: str) -> CapturedDocument:
    """A tiny stand-in for an encoded page (a JPEG header and a few bytes)."""
    data = b"\xff\xd8\xff\xe0fake-jpeg-" + requirement_id.encode() + b"\xff\xd9"
    return CapturedDocument(requirement_id, "image/jpeg", data, hashlib.sha256(data).hexdigest())
