"""Plain records that cross the boundary between the visit flow and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class CapturedDocument:
    """One captured page set for a requirement; bytes are JPEG or PDF, already ≤ 1 MB."""

    requirement_id: str
    content_type: Literal["image/jpeg", "application/pdf"]
    data: bytes
    sha256: str  # hex digest of data

    def __repr__(self) -> str:  # never dump document bytes into logs or tracebacks
        return f"CapturedDocument({self.requirement_id!r}, {self.content_type}, {len(self.data)} B)"


@dataclass(frozen=True)
class CompletedVisit:
    """A visit the citizen confirmed at the review screen."""

    visit_id: str  # uuid4 hex, also the idempotency root for its outbox events
    agency_id: str
    kiosk_id: str
    tramite_id: str
    kind: Literal["appointment", "walk_in"]
    started_at: datetime
    completed_at: datetime
    service_letter: str  # prefix of the ticket number, per trámite
    answers: dict[str, str] = field(default_factory=dict)
    turn_id: str | None = None
    slot_start: datetime | None = None
    citizen_ref: str = ""  # salted hash of the ID number, never the number itself
    id_type: Literal["cedula", "foreigner_code", "passport", ""] = ""
    priority: bool = False
    documents: tuple[CapturedDocument, ...] = ()


@dataclass(frozen=True)
class IssuedTicket:
    ticket_id: str  # uuid4 hex
    number: str  # what the citizen sees, e.g. "G-107"
    issued_at: datetime
    pending_sync: bool = True
