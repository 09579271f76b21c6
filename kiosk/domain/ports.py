"""Ports: what the domain needs from the outside world, as Protocols.

Adapters live in kiosk.scanning, kiosk.printing, kiosk.store and kiosk.sync; fakes live next to
their tests. The composition root (kiosk.app.build) is the only place that picks implementations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from kiosk.domain.records import CompletedVisit, IssuedTicket


class Clock(Protocol):
    """Wall clock and monotonic clock, injected so tests control time."""

    def now(self) -> datetime:
        """Timezone-aware local time."""
        ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock, in the kiosk's configured timezone."""

    def __init__(self, tz: object | None = None) -> None:
        self._tz = tz

    def now(self) -> datetime:
        return datetime.now(self._tz).astimezone() if self._tz is None else datetime.now(self._tz)  # type: ignore[arg-type]

    def monotonic(self) -> float:
        return time.monotonic()


# ---------------------------------------------------------------- printing


class PrinterState(StrEnum):
    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"  # still prints; staff should change the roll
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    STOPPED = "stopped"
    JOB_STUCK = "job_stuck"
    ERROR = "error"


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    detail: str = ""  # technician-facing, never shown to citizens

    @property
    def can_print(self) -> bool:
        return self.state in (PrinterState.READY, PrinterState.PAPER_NEAR_END)


@dataclass(frozen=True)
class Receipt:
    """Everything printed on the citizen's receipt. No full ID number and no name, by design."""

    ticket_id: str
    ticket_number: str
    agency_name: str
    tramite_name: str
    service_area: str
    issued_at: datetime
    kind: Literal["appointment", "walk_in"]
    status_url: str
    appointment_at: datetime | None = None
    queue_position: int | None = None
    wait_minutes: tuple[int, int] | None = None  # estimated range (low, high)
    captured_documents: tuple[str, ...] = ()
    originals_to_show: tuple[str, ...] = ()
    pending_sync: bool = False
    priority: bool = False
    language: str = "es"


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    status: PrinterStatus
    output_path: str | None = None  # spool/cups-pdf file, when there is one
    job_id: str | None = None
    error: str | None = None  # technician-facing


class Printer(Protocol):
    name: str

    def status(self) -> PrinterStatus: ...

    def print_receipt(self, receipt: Receipt) -> PrintResult: ...


# ---------------------------------------------------------------- store


class VisitStore(Protocol):
    """The kiosk's durable store. Each method is one transaction."""

    def complete_visit(self, visit: CompletedVisit) -> IssuedTicket:
        """Write visit, ticket, documents and their outbox events atomically; then return."""
        ...

    def is_turn_used(self, turn_id: str) -> bool: ...

    def mark_printed(self, ticket_id: str, printed: bool, detail: str = "") -> None: ...


# ---------------------------------------------------------------- central queue


@dataclass(frozen=True)
class SyncHealth:
    online: bool
    backlog: int
    last_success: datetime | None = None
    last_error: str | None = None


class SyncStatus(Protocol):
    def health(self) -> SyncHealth: ...


@dataclass(frozen=True)
class QueueEstimate:
    position: int
    wait_minutes: tuple[int, int]


@dataclass
class Diagnostics:
    """Values a technician reads; filled by adapters."""

    values: dict[str, str] = field(default_factory=dict)


__all__: Sequence[str] = (
    "Clock",
    "Diagnostics",
    "PrintResult",
    "Printer",
    "PrinterState",
    "PrinterStatus",
    "QueueEstimate",
    "Receipt",
    "SyncHealth",
    "SyncStatus",
    "SystemClock",
    "VisitStore",
)
