"""The kiosk's durable store: SQLite (WAL) via SQLAlchemy 2 + Alembic, encrypted document files,
and the outbox the sync worker drains."""

from kiosk.store.errors import (
    DocumentUnreadableError,
    StoreError,
    TurnAlreadyUsed,
    UnknownTicketError,
)
from kiosk.store.store import (
    AuditRecord,
    ConflictRecord,
    KioskStore,
    OutboxSummary,
    PendingDocument,
    PendingEvent,
    StoredTicket,
    ticket_issued_event_id,
)

__all__ = [
    "AuditRecord",
    "ConflictRecord",
    "DocumentUnreadableError",
    "KioskStore",
    "OutboxSummary",
    "PendingDocument",
    "PendingEvent",
    "StoreError",
    "StoredTicket",
    "TurnAlreadyUsed",
    "UnknownTicketError",
    "ticket_issued_event_id",
]
