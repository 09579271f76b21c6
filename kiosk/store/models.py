"""SQLAlchemy 2 typed models of the kiosk store.

Instants are stored as naive UTC (SQLite has no time zone type) and come back as aware UTC
datetimes through `UTCDateTime`, so SQL comparisons such as `next_attempt_at <= now` are correct.
The schema itself is created by the Alembic migrations in `kiosk/store/migrations`; these models
must stay in step with them (a unit test compares the two).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetime in, naive UTC in the database, aware UTC out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Visit(Base):
    __tablename__ = "visits"

    visit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    tramite_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]]
    turn_id: Mapped[str | None] = mapped_column(String(128))
    slot_start: Mapped[datetime | None]
    citizen_ref: Mapped[str] = mapped_column(String(128))  # salted hash, never the ID number
    id_type: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(Boolean)


class Ticket(Base):
    __tablename__ = "tickets"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.visit_id"), unique=True)
    number: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime]
    printed: Mapped[bool | None] = mapped_column(Boolean)  # None: no print attempt yet
    print_detail: Mapped[str] = mapped_column(Text, default="")
    synced_at: Mapped[datetime | None]  # central acknowledged ticket_issued


class Document(Base):
    __tablename__ = "documents"

    document_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.ticket_id"), index=True)
    requirement_id: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(128))  # None once purged
    created_at: Mapped[datetime]
    uploaded_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    upload_error: Mapped[str | None] = mapped_column(Text)  # permanent failure, for staff


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    # events of one aggregate (a ticket) are delivered in order: print_status never overtakes
    # the ticket_issued it refers to
    aggregate_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[str] = mapped_column(String(40))  # ISO 8601 with the kiosk's offset
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    acked_at: Mapped[datetime | None]
    ack_status: Mapped[str | None] = mapped_column(String(16))  # accepted/duplicate/conflict
    last_error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/acked/dead


class UsedTurn(Base):
    __tablename__ = "used_turns"

    turn_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.visit_id"))
    used_at: Mapped[datetime]


class TicketCounter(Base):
    __tablename__ = "ticket_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    letter: Mapped[str] = mapped_column(String(8), primary_key=True)
    issued: Mapped[int] = mapped_column(Integer, default=0)  # tickets issued so far that day


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON text


class Conflict(Base):
    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
