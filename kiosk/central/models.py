"""Database schema of the central service (SQLAlchemy 2 typed models).

Personal data kept to the minimum (LOPDP): tickets carry the kiosk's salted ``citizen_ref``,
booked turns a per-turn salted hash of the ID number plus the contact data the turnero needs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Kiosk(Base):
    __tablename__ = "kiosks"

    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64))
    credential_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    health: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class SyncEvent(Base):
    """Every accepted/duplicate-ticket/conflict event, keyed by the kiosk's idempotency key."""

    __tablename__ = "sync_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(TS)
    received_at: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)


class Ticket(Base):
    __tablename__ = "tickets"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    tramite_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # appointment | walk_in
    turn_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    slot_start: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    citizen_ref: Mapped[str] = mapped_column(String(128), default="")
    issued_at: Mapped[datetime] = mapped_column(TS)
    received_at: Mapped[datetime] = mapped_column(TS)
    # waiting -> called -> completed | no_show; held = conflict, waits for staff
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    counter_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    printed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    print_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)

    # "the oldest waiting <priority> <kind> ticket of this agency" is one index walk (call_next)
    __table_args__ = (
        Index(
            "ix_tickets_next", "agency_id", "state", "priority", "kind", "issued_at", "ticket_id"
        ),
    )


class TurnCheckin(Base):
    """One row per turn ever checked in: the unique key that detects replays across kiosks."""

    __tablename__ = "turn_checkins"

    turn_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(String(64))


class Conflict(Base):
    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    first_ticket_id: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[datetime] = mapped_column(TS)
    resolved_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Document(Base):
    """A captured document: declared by ticket_issued, bytes uploaded by PUT (either first)."""

    __tablename__ = "documents"

    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64), index=True)
    requirement_id: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))


class Turn(Base):
    """An online turn booked through the turnero."""

    __tablename__ = "turns"

    turn_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64))
    tramite_id: Mapped[str] = mapped_column(String(64))
    slot_start: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    id_salt: Mapped[str] = mapped_column(String(32))
    id_hash: Mapped[str] = mapped_column(String(64))
    id_hint: Mapped[str] = mapped_column(String(4))
    email: Mapped[str] = mapped_column(String(254))
    mobile: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


class Counter(Base):
    """A counter (ventanilla) credential for the queue endpoints."""

    __tablename__ = "counters"

    agency_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_hash: Mapped[str] = mapped_column(String(64))


__all__ = [
    "Base",
    "Conflict",
    "Counter",
    "Document",
    "Kiosk",
    "SyncEvent",
    "Ticket",
    "Turn",
    "TurnCheckin",
]
