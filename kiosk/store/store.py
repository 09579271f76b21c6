"""KioskStore: the kiosk's durable store (SQLite + encrypted document files + outbox).

Every public method is one short transaction in its own session, so the UI thread and the sync
worker thread can share one store. Nothing here logs personal data: logs carry ids and counts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.domain.ports import Clock
from kiosk.domain.records import CompletedVisit, IssuedTicket
from kiosk.store import models as m
from kiosk.store.db import make_engine, upgrade
from kiosk.store.errors import StoreError, TurnAlreadyUsed, UnknownTicketError
from kiosk.store.vault import DocumentVault, load_or_create_key

log = logging.getLogger("kiosk.store")

DB_FILE = "kiosk.sqlite3"
DOCUMENTS_DIR = "documents"
DEFAULT_KEY_FILE = Path("keys") / "documents.key"
ORPHAN_MIN_AGE_S = 600

# Namespace for deterministic event ids: the ticket_issued event of a visit always has the same id,
# which is what lets the central service de-duplicate retries.
_EVENT_NS = uuid.UUID("6f1d8a52-3c0e-4f57-9a61-0f3b7c2d9e10")

EventType = Literal["ticket_issued", "print_status"]
AckStatus = Literal["accepted", "duplicate", "conflict"]


def ticket_issued_event_id(visit_id: str) -> str:
    return uuid.uuid5(_EVENT_NS, f"ticket_issued/{visit_id}").hex


# ---------------------------------------------------------------- views returned to callers


@dataclass(frozen=True)
class StoredTicket:
    ticket_id: str
    visit_id: str
    number: str
    issued_at: datetime
    tramite_id: str
    kind: str
    priority: bool
    printed: bool | None  # None: never attempted
    print_detail: str
    synced_at: datetime | None

    @property
    def pending_sync(self) -> bool:
        return self.synced_at is None

    def as_issued(self) -> IssuedTicket:
        return IssuedTicket(self.ticket_id, self.number, self.issued_at, self.pending_sync)


@dataclass(frozen=True)
class TicketFacts:
    """What a receipt (or a reprint of it) needs from the store; no personal data in it."""

    ticket: StoredTicket
    answers: dict[str, str]
    id_type: str
    slot_start: datetime | None
    document_requirements: tuple[str, ...]


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    event_id: str
    type: str
    occurred_at: str
    payload: dict[str, Any]
    attempts: int

    def to_wire(self) -> dict[str, Any]:
        """The event as POST /api/v1/sync expects it."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }


@dataclass(frozen=True)
class PendingDocument:
    document_id: str
    ticket_id: str
    requirement_id: str
    content_type: str
    sha256: str
    size: int

    def __repr__(self) -> str:
        return f"PendingDocument({self.document_id!r}, {self.content_type}, {self.size} B)"


@dataclass(frozen=True)
class ConflictRecord:
    id: int
    event_id: str
    event_type: str
    ticket_id: str | None
    detail: str
    recorded_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    dead: int
    acked: int
    oldest_pending: datetime | None
    max_attempts: int


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    detail: str


def _rowcount(result: object) -> int:
    """Rows matched by an UPDATE/DELETE (a CursorResult attribute the Result type hides)."""
    return int(getattr(result, "rowcount", 0) or 0)


def _pending(r: m.OutboxEvent) -> PendingEvent:
    return PendingEvent(r.seq, r.event_id, r.type, r.occurred_at, r.payload, r.attempts)


# ---------------------------------------------------------------- the store

P = ParamSpec("P")
R = TypeVar("R")


def _transaction(
    fn: Callable[Concatenate[KioskStore, Session, P], R],
) -> Callable[Concatenate[KioskStore, P], R]:
    """Run a method in its own session and transaction; database failures become StoreError.

    The StoreError message carries the SQLite error text only, never the SQL parameters, which
    may hold personal data.
    """

    def wrapper(self: KioskStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        sessions = self._require_open()
        try:
            with sessions.begin() as session:
                return fn(self, session, *args, **kwargs)
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc.__class__.__name__
            raise StoreError(f"kiosk store: {fn.__name__} failed: {orig}") from None

    functools.update_wrapper(wrapper, fn)
    return wrapper


class KioskStore:
    """Implements kiosk.domain.ports.VisitStore, plus the outbox and staff-facing records."""

    def __init__(
        self,
        *,
        data_dir: Path,
        kiosk_id: str,
        agency_id: str,
        clock: Clock,
        sessions: sessionmaker[Session],
        vault: DocumentVault,
        ticket_block: tuple[int, int],
        retention: timedelta,
    ) -> None:
        """Use KioskStore.open(); this constructor only wires already-opened parts."""
        self.data_dir = data_dir
        self.kiosk_id = kiosk_id
        self.agency_id = agency_id
        self.ticket_block = ticket_block
        self.retention = retention
        self._clock = clock
        self._sessions: sessionmaker[Session] | None = sessions
        self._vault = vault

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        kiosk_id: str,
        agency_id: str,
        clock: Clock,
        ticket_block: tuple[int, int] = (100, 100),
        retention: timedelta = timedelta(days=7),
        key_path: Path | None = None,
    ) -> KioskStore:
        """Create the data dir if needed, migrate the database, load or create the document key."""
        start, size = ticket_block
        if start < 0 or size < 1:
            raise ValueError(f"ticket_block must be (start >= 0, size >= 1), got {ticket_block}")
        data_dir = Path(data_dir)
        docs_dir = data_dir / DOCUMENTS_DIR
        try:
            docs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            probe = data_dir / f".write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                f"the kiosk data directory {data_dir} cannot be created or written: "
                f"{exc.strerror or exc}"
            ) from None
        key = load_or_create_key(key_path if key_path is not None else data_dir / DEFAULT_KEY_FILE)
        db_path = data_dir / DB_FILE
        engine = make_engine(db_path)
        try:
            upgrade(engine, db_path)
        except BaseException:
            engine.dispose()
            raise
        store = cls(
            data_dir=data_dir,
            kiosk_id=kiosk_id,
            agency_id=agency_id,
            clock=clock,
            sessions=sessionmaker(engine, expire_on_commit=False),
            vault=DocumentVault(docs_dir, key),
            ticket_block=ticket_block,
            retention=retention,
        )
        store._remove_orphan_files()
        log.info("kiosk store open at %s (block %d+%d)", data_dir, start, size)
        return store

    def close(self) -> None:
        if self._sessions is not None:
            bind = self._sessions.kw["bind"]
            self._sessions = None
            bind.dispose()

    def __enter__(self) -> KioskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KioskStore({str(self.data_dir)!r}, kiosk={self.kiosk_id!r})"

    def _require_open(self) -> sessionmaker[Session]:
        if self._sessions is None:
            raise StoreError("the kiosk store is closed")
        return self._sessions

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    def _tz(self) -> tzinfo | None:
        return self._clock.now().tzinfo

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self._tz())

    def _remove_orphan_files(self) -> None:
        """Delete document files no row refers to: written by a visit whose transaction never
        committed (crash, power cut), so no citizen was told "listo"; keeping them would only
        keep personal data for nothing. Also removes torn temp files."""
        sessions = self._require_open()
        with sessions.begin() as s:
            referenced = set(
                s.scalars(select(m.Document.file_name).where(m.Document.file_name.is_not(None)))
            )
        removed = 0
        # only files old enough: another process on the same data dir (a technician's tool) may
        # be between writing a visit's files and committing its rows right now
        cutoff = time.time() - ORPHAN_MIN_AGE_S
        try:
            for path in self._vault.directory.iterdir():
                try:
                    if path.name in referenced or path.stat().st_mtime >= cutoff:
                        continue
                except FileNotFoundError:
                    continue
                if path.is_file():
                    self._vault.delete(path.name)
                    removed += 1
        except OSError as exc:  # housekeeping only: never stop the kiosk from opening
            log.warning("orphan document cleanup skipped: %s", exc.strerror or exc)
        if removed:
            log.warning("removed %d orphan document file(s) left by an interrupted visit", removed)

    # ------------------------------------------------------------ visits and tickets

    def complete_visit(self, visit: CompletedVisit) -> IssuedTicket:
        """Write visit, ticket, documents, turn ledger entry and outbox event in one transaction.

        Document bytes are encrypted and fsynced to their files first; the rows that reference
        them commit afterwards (or the files are removed). Idempotent on visit_id.
        """
        existing = self._ticket_for_visit(visit.visit_id)
        if existing is not None:
            return existing
        for doc in visit.documents:
            if hashlib.sha256(doc.data).hexdigest() != doc.sha256.lower():
                raise ValueError(f"document for requirement {doc.requirement_id}: sha256 mismatch")
        written: list[str] = []
        try:
            doc_rows: list[tuple[str, str]] = []
            for doc in visit.documents:
                document_id = uuid.uuid4().hex
                try:
                    written.append(self._vault.write(document_id, doc.data))
                except OSError as exc:  # disk full, read-only remount...
                    raise StoreError(
                        f"cannot write a document file in {self._vault.directory}: "
                        f"{exc.strerror or exc}"
                    ) from None
                doc_rows.append((document_id, written[-1]))
            ticket = self._insert_visit(visit, doc_rows)
        except BaseException:
            for name in written:
                self._vault.delete(name)
            raise
        return ticket

    @_transaction
    def _ticket_for_visit(self, s: Session, visit_id: str) -> IssuedTicket | None:
        row = s.scalars(select(m.Ticket).where(m.Ticket.visit_id == visit_id)).one_or_none()
        if row is None:
            return None
        return IssuedTicket(
            row.ticket_id, row.number, self._local(row.issued_at), row.synced_at is None
        )

    @_transaction
    def _insert_visit(
        self, s: Session, visit: CompletedVisit, doc_rows: list[tuple[str, str]]
    ) -> IssuedTicket:
        now = self._clock.now()
        # a concurrent call for the same visit may have won the race since our first look
        row = s.scalars(select(m.Ticket).where(m.Ticket.visit_id == visit.visit_id)).one_or_none()
        if row is not None:
            for _, name in doc_rows:  # ours are not referenced: drop them
                self._vault.delete(name)
            return IssuedTicket(
                row.ticket_id, row.number, self._local(row.issued_at), row.synced_at is None
            )
        if visit.turn_id is not None and s.get(m.UsedTurn, visit.turn_id) is not None:
            raise TurnAlreadyUsed(visit.turn_id)

        issued_at = visit.completed_at
        day = issued_at.date()
        counter = s.get(m.TicketCounter, (day, visit.service_letter))
        if counter is None:
            counter = m.TicketCounter(day=day, letter=visit.service_letter, issued=0)
            s.add(counter)
        start, size = self.ticket_block
        n = start + counter.issued % size  # cycles inside this kiosk's block only
        counter.issued += 1
        number = f"{visit.service_letter}-{n:03d}"
        ticket_id = uuid.uuid4().hex

        s.add(
            m.Visit(
                visit_id=visit.visit_id,
                agency_id=visit.agency_id,
                kiosk_id=visit.kiosk_id,
                tramite_id=visit.tramite_id,
                kind=visit.kind,
                started_at=visit.started_at,
                completed_at=visit.completed_at,
                answers=dict(visit.answers),
                turn_id=visit.turn_id,
                slot_start=visit.slot_start,
                citizen_ref=visit.citizen_ref,
                id_type=visit.id_type,
                priority=visit.priority,
            )
        )
        s.flush()  # the visit row must exist before rows that reference it (foreign keys)
        s.add(
            m.Ticket(
                ticket_id=ticket_id,
                visit_id=visit.visit_id,
                number=number,
                day=day,
                issued_at=issued_at,
                printed=None,
                print_detail="",
                synced_at=None,
            )
        )
        s.flush()
        docs_meta: list[dict[str, Any]] = []
        for doc, (document_id, file_name) in zip(visit.documents, doc_rows, strict=True):
            s.add(
                m.Document(
                    document_id=document_id,
                    ticket_id=ticket_id,
                    requirement_id=doc.requirement_id,
                    content_type=doc.content_type,
                    sha256=doc.sha256.lower(),
                    size=len(doc.data),
                    file_name=file_name,
                    created_at=now,
                )
            )
            docs_meta.append(
                {
                    "document_id": document_id,
                    "requirement_id": doc.requirement_id,
                    "sha256": doc.sha256.lower(),
                    "size": len(doc.data),
                    "content_type": doc.content_type,
                }
            )
        if visit.turn_id is not None:
            s.add(m.UsedTurn(turn_id=visit.turn_id, visit_id=visit.visit_id, used_at=now))
        payload = {
            "ticket_id": ticket_id,
            "number": number,
            "agency_id": visit.agency_id,
            "kiosk_id": visit.kiosk_id,
            "tramite_id": visit.tramite_id,
            "kind": visit.kind,
            "turn_id": visit.turn_id,
            "slot_start": visit.slot_start.isoformat() if visit.slot_start else None,
            "priority": visit.priority,
            "citizen_ref": visit.citizen_ref,
            "issued_at": issued_at.isoformat(),
            "documents": docs_meta,
        }
        self._enqueue(
            s,
            event_id=ticket_issued_event_id(visit.visit_id),
            type_="ticket_issued",
            aggregate_id=ticket_id,
            payload=payload,
            occurred_at=issued_at,
            now=now,
        )
        log.info("ticket %s issued (%d document(s))", number, len(doc_rows))
        return IssuedTicket(ticket_id, number, issued_at, pending_sync=True)

    def _enqueue(
        self,
        s: Session,
        *,
        event_id: str,
        type_: EventType,
        aggregate_id: str,
        payload: dict[str, Any],
        occurred_at: datetime,
        now: datetime,
    ) -> None:
        s.add(
            m.OutboxEvent(
                event_id=event_id,
                type=type_,
                aggregate_id=aggregate_id,
                payload=payload,
                occurred_at=occurred_at.isoformat(),
                created_at=now,
                attempts=0,
                next_attempt_at=now,
                state="pending",
            )
        )

    @_transaction
    def is_turn_used(self, s: Session, turn_id: str) -> bool:
        return s.get(m.UsedTurn, turn_id) is not None

    @_transaction
    def mark_printed(self, s: Session, ticket_id: str, printed: bool, detail: str = "") -> None:
        """Record the print outcome and queue a print_status event for the central service."""
        ticket = s.get(m.Ticket, ticket_id)
        if ticket is None:
            raise UnknownTicketError(ticket_id)
        now = self._clock.now()
        ticket.printed = printed
        ticket.print_detail = detail
        self._enqueue(
            s,
            event_id=uuid.uuid4().hex,
            type_="print_status",
            aggregate_id=ticket_id,
            payload={"ticket_id": ticket_id, "printed": printed, "detail": detail},
            occurred_at=now,
            now=now,
        )

    def _view(self, s: Session, t: m.Ticket) -> StoredTicket:
        visit = s.get(m.Visit, t.visit_id)
        assert visit is not None  # foreign key
        return StoredTicket(
            ticket_id=t.ticket_id,
            visit_id=t.visit_id,
            number=t.number,
            issued_at=self._local(t.issued_at),
            tramite_id=visit.tramite_id,
            kind=visit.kind,
            priority=visit.priority,
            printed=t.printed,
            print_detail=t.print_detail,
            synced_at=t.synced_at,
        )

    @_transaction
    def get_ticket(self, s: Session, ticket_id: str) -> StoredTicket | None:
        t = s.get(m.Ticket, ticket_id)
        return None if t is None else self._view(s, t)

    @_transaction
    def ticket_facts(self, s: Session, ticket_id: str) -> TicketFacts | None:
        t = s.get(m.Ticket, ticket_id)
        if t is None:
            return None
        visit = s.get(m.Visit, t.visit_id)
        assert visit is not None  # foreign key
        requirements = s.scalars(
            select(m.Document.requirement_id)
            .where(m.Document.ticket_id == ticket_id)
            .order_by(m.Document.created_at)
        ).all()
        return TicketFacts(
            ticket=self._view(s, t),
            answers=dict(visit.answers or {}),
            id_type=visit.id_type,
            slot_start=self._local(visit.slot_start) if visit.slot_start else None,
            document_requirements=tuple(requirements),
        )

    @_transaction
    def tickets_not_printed(self, s: Session) -> list[StoredTicket]:
        """Tickets whose receipt never printed (failed or never attempted), oldest first."""
        rows = s.scalars(
            select(m.Ticket)
            .where((m.Ticket.printed.is_(None)) | (m.Ticket.printed.is_(False)))
            .order_by(m.Ticket.issued_at)
        ).all()
        return [self._view(s, t) for t in rows]

    @_transaction
    def tickets_issued(self, s: Session, day: date | None = None) -> int:
        """How many tickets were issued on `day` (default: today, kiosk time)."""
        day = day or self._clock.now().date()
        return s.scalar(select(func.count()).select_from(m.Ticket).where(m.Ticket.day == day)) or 0

    # ------------------------------------------------------------ documents

    @_transaction
    def _document_file(self, s: Session, document_id: str) -> str:
        doc = s.get(m.Document, document_id)
        if doc is None:
            raise StoreError(f"no document {document_id} in the kiosk store")
        if doc.file_name is None:
            raise StoreError(f"document {document_id} was already purged from this kiosk")
        return doc.file_name

    def read_document(self, document_id: str) -> bytes:
        """Decrypt one document; DocumentUnreadableError if tampered, corrupt or wrong key."""
        return self._vault.read(document_id, self._document_file(document_id))

    @_transaction
    def pending_documents(self, s: Session, limit: int = 50) -> list[PendingDocument]:
        """Documents to upload: not uploaded, not purged, not failed, and whose ticket the
        central service already knows (so an upload never arrives before its ticket)."""
        rows = s.scalars(
            select(m.Document)
            .join(m.Ticket, m.Ticket.ticket_id == m.Document.ticket_id)
            .where(
                m.Document.uploaded_at.is_(None),
                m.Document.purged_at.is_(None),
                m.Document.upload_error.is_(None),
                m.Ticket.synced_at.is_not(None),
            )
            .order_by(m.Document.created_at)
            .limit(limit)
        ).all()
        return [
            PendingDocument(
                d.document_id, d.ticket_id, d.requirement_id, d.content_type, d.sha256, d.size
            )
            for d in rows
        ]

    @_transaction
    def mark_document_uploaded(self, s: Session, document_id: str) -> None:
        doc = s.get(m.Document, document_id)
        if doc is not None and doc.uploaded_at is None:
            doc.uploaded_at = self._clock.now()

    @_transaction
    def mark_document_failed(self, s: Session, document_id: str, reason: str) -> None:
        """Stop retrying a document the central refused or that cannot be decrypted; staff see it
        in the conflicts list."""
        doc = s.get(m.Document, document_id)
        if doc is None:
            return
        doc.upload_error = reason
        self._add_conflict(s, f"document/{document_id}", "document_upload", doc.ticket_id, reason)

    def purge_documents(self, now: datetime | None = None) -> int:
        """Delete the encrypted files of documents the central confirmed, and of any document
        older than the retention limit. Returns how many files were deleted."""
        now = now or self._clock.now()
        names = self._mark_purged(now)
        for name in names:
            self._vault.delete(name)
        if names:
            log.info("purged %d document file(s)", len(names))
        # A crash between the commit above and the deletes leaves unreferenced files (still
        # personal data); sweep them here too, not only when the kiosk next starts.
        self._remove_orphan_files()
        return len(names)

    @_transaction
    def _mark_purged(self, s: Session, now: datetime) -> list[str]:
        cutoff = now - self.retention
        rows = s.scalars(
            select(m.Document).where(
                m.Document.file_name.is_not(None),
                (m.Document.uploaded_at.is_not(None)) | (m.Document.created_at <= cutoff),
            )
        ).all()
        names: list[str] = []
        expired = 0
        for d in rows:
            assert d.file_name is not None
            names.append(d.file_name)
            if d.uploaded_at is None:
                expired += 1
            d.file_name = None
            d.purged_at = now
        if expired:
            log.warning("%d document(s) reached the retention limit before upload", expired)
        # the rows commit before the files go: a crash in between leaves orphan files, which the
        # next open() removes; the other order could leave rows pointing at nothing
        return names

    @_transaction
    def prune_records(self, s: Session, now: datetime | None = None) -> int:
        """Data minimisation (LOPDP) past the retention limit: forget the citizen reference and
        answers of synced visits, delete acknowledged outbox events (their payloads repeat the
        citizen reference) and old turn-ledger entries (a confirmation is only valid on its
        day). Ticket numbers and counts stay for statistics. Returns rows touched."""
        now = now or self._clock.now()
        cutoff = now - self.retention
        synced = select(m.Ticket.visit_id).where(m.Ticket.synced_at.is_not(None))
        touched = _rowcount(
            s.execute(
                update(m.Visit)
                .where(
                    m.Visit.completed_at <= cutoff,
                    m.Visit.citizen_ref != "",
                    m.Visit.visit_id.in_(synced),
                )
                .values(citizen_ref="", answers={})
            )
        )
        touched += _rowcount(
            s.execute(
                delete(m.OutboxEvent).where(
                    m.OutboxEvent.state == "acked", m.OutboxEvent.acked_at <= cutoff
                )
            )
        )
        touched += _rowcount(s.execute(delete(m.UsedTurn).where(m.UsedTurn.used_at <= cutoff)))
        return touched

    # ------------------------------------------------------------ outbox (for the sync worker)

    @_transaction
    def due_events(
        self, s: Session, limit: int = 100, now: datetime | None = None
    ) -> list[PendingEvent]:
        """Pending events due at `now`, oldest first, keeping per-ticket order: an event is held
        back while an earlier event of the same ticket is pending but not due.

        A batch also carries at most one event of each type per ticket: the central applies a
        batch set-wise (not in request order), so two print statuses of one ticket in one batch
        could land in the wrong order; in consecutive batches they cannot."""
        now = now or self._clock.now()
        rows = s.scalars(
            select(m.OutboxEvent)
            .where(m.OutboxEvent.state == "pending")
            .order_by(m.OutboxEvent.seq)
            .execution_options(yield_per=256)  # stream: a day offline can queue thousands
        )
        blocked: set[str] = set()
        in_batch: set[tuple[str, str]] = set()
        chosen: list[PendingEvent] = []
        for r in rows:
            if r.aggregate_id in blocked:
                continue
            if r.next_attempt_at > now or (r.aggregate_id, r.type) in in_batch:
                blocked.add(r.aggregate_id)
                continue
            in_batch.add((r.aggregate_id, r.type))
            chosen.append(_pending(r))
            if len(chosen) >= limit:
                break
        rows.close()
        return chosen

    @_transaction
    def pending_events(self, s: Session) -> list[PendingEvent]:
        """Every pending event, oldest first, whatever its retry schedule (for the technician's
        offline export: the central de-duplicates, so exporting events that also sync is safe)."""
        rows = s.scalars(
            select(m.OutboxEvent)
            .where(m.OutboxEvent.state == "pending")
            .order_by(m.OutboxEvent.seq)
        )
        return [_pending(r) for r in rows]

    @_transaction
    def next_due_at(self, s: Session) -> datetime | None:
        """When the earliest pending event becomes due (for the worker's sleep)."""
        return s.scalar(
            select(func.min(m.OutboxEvent.next_attempt_at)).where(m.OutboxEvent.state == "pending")
        )

    @_transaction
    def mark_acked(
        self, s: Session, event_ids: Iterable[str], status: AckStatus = "accepted"
    ) -> None:
        """The central answered for these events; ticket_issued also marks its ticket synced.
        Set-based (two UPDATEs per chunk): a drained backlog acks hundreds of events at once."""
        ids = list(event_ids)
        now = self._clock.now()
        for i in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            chunk = ids[i : i + 500]
            tickets = s.scalars(
                select(m.OutboxEvent.aggregate_id).where(
                    m.OutboxEvent.event_id.in_(chunk),
                    m.OutboxEvent.type == "ticket_issued",
                    m.OutboxEvent.state != "acked",
                )
            ).all()
            s.execute(
                update(m.OutboxEvent)
                .where(m.OutboxEvent.event_id.in_(chunk), m.OutboxEvent.state != "acked")
                .values(state="acked", acked_at=now, ack_status=status, last_error=None)
            )
            if tickets:
                s.execute(
                    update(m.Ticket)
                    .where(m.Ticket.ticket_id.in_(tickets), m.Ticket.synced_at.is_(None))
                    .values(synced_at=now)
                )

    @_transaction
    def mark_retry(
        self, s: Session, event_ids: Iterable[str], error: str, next_attempt_at: datetime
    ) -> None:
        ids = list(event_ids)
        for i in range(0, len(ids), 500):
            s.execute(
                update(m.OutboxEvent)
                .where(
                    m.OutboxEvent.event_id.in_(ids[i : i + 500]), m.OutboxEvent.state == "pending"
                )
                .values(
                    attempts=m.OutboxEvent.attempts + 1,
                    last_error=error,
                    next_attempt_at=next_attempt_at,
                )
            )

    @_transaction
    def clamp_schedule(self, s: Session, latest: datetime) -> int:
        """Bring retries scheduled after `latest` back to now: after the wall clock was stepped
        back (bad RTC, NTP correction) a backoff computed earlier could otherwise hold events
        for hours. Returns how many were rescheduled."""
        result = s.execute(
            update(m.OutboxEvent)
            .where(m.OutboxEvent.state == "pending", m.OutboxEvent.next_attempt_at > latest)
            .values(next_attempt_at=self._clock.now())
        )
        return _rowcount(result)

    @_transaction
    def mark_dead(self, s: Session, event_id: str, reason: str) -> None:
        """The central refused the event for good: keep it, out of the queue, for staff."""
        r = s.scalars(select(m.OutboxEvent).where(m.OutboxEvent.event_id == event_id)).one_or_none()
        if r is None or r.state != "pending":
            return
        r.state = "dead"
        r.last_error = reason
        r.attempts += 1
        self._add_conflict(s, event_id, r.type, r.aggregate_id, f"rejected: {reason}")

    @_transaction
    def backlog(self, s: Session) -> int:
        return (
            s.scalar(
                select(func.count())
                .select_from(m.OutboxEvent)
                .where(m.OutboxEvent.state == "pending")
            )
            or 0
        )

    @_transaction
    def outbox_summary(self, s: Session) -> OutboxSummary:
        counts = dict(
            s.execute(select(m.OutboxEvent.state, func.count()).group_by(m.OutboxEvent.state))
            .tuples()
            .all()
        )
        oldest, max_attempts = s.execute(
            select(func.min(m.OutboxEvent.created_at), func.max(m.OutboxEvent.attempts)).where(
                m.OutboxEvent.state == "pending"
            )
        ).one()
        return OutboxSummary(
            pending=counts.get("pending", 0),
            dead=counts.get("dead", 0),
            acked=counts.get("acked", 0),
            oldest_pending=oldest,
            max_attempts=max_attempts or 0,
        )

    @_transaction
    def event_states(self, s: Session) -> dict[str, str]:
        """event_id -> state, for diagnostics and tests."""
        return dict(s.execute(select(m.OutboxEvent.event_id, m.OutboxEvent.state)).tuples().all())

    # ------------------------------------------------------------ conflicts, audit, settings

    def _add_conflict(
        self, s: Session, event_id: str, event_type: str, ticket_id: str | None, detail: str
    ) -> None:
        exists = s.scalars(select(m.Conflict).where(m.Conflict.event_id == event_id)).one_or_none()
        if exists is not None:
            return
        s.add(
            m.Conflict(
                event_id=event_id,
                ticket_id=ticket_id,
                event_type=event_type,
                detail=detail,
                recorded_at=self._clock.now(),
            )
        )

    @_transaction
    def record_conflict(
        self,
        s: Session,
        event_id: str,
        detail: str,
        *,
        event_type: str = "ticket_issued",
        ticket_id: str | None = None,
    ) -> None:
        """Keep a conflict the central flagged (e.g. the same turn checked in at two kiosks) for
        staff to resolve. Idempotent per event."""
        if ticket_id is None:
            ev = s.scalars(
                select(m.OutboxEvent).where(m.OutboxEvent.event_id == event_id)
            ).one_or_none()
            if ev is not None:
                ticket_id, event_type = ev.aggregate_id, ev.type
        self._add_conflict(s, event_id, event_type, ticket_id, detail)

    @_transaction
    def conflicts(self, s: Session, *, include_resolved: bool = False) -> list[ConflictRecord]:
        q = select(m.Conflict).order_by(m.Conflict.id)
        if not include_resolved:
            q = q.where(m.Conflict.resolved_at.is_(None))
        return [
            ConflictRecord(
                c.id,
                c.event_id,
                c.event_type,
                c.ticket_id,
                c.detail,
                c.recorded_at,
                c.resolved_at,
                c.resolved_by,
            )
            for c in s.scalars(q)
        ]

    @_transaction
    def resolve_conflict(self, s: Session, conflict_id: int, actor: str) -> None:
        c = s.get(m.Conflict, conflict_id)
        if c is None or c.resolved_at is not None:
            return
        now = self._clock.now()
        c.resolved_at, c.resolved_by = now, actor
        s.add(
            m.AuditEntry(
                at=now, actor=actor, action="resolve_conflict", detail=f"conflict {conflict_id}"
            )
        )

    @_transaction
    def audit(
        self, s: Session, actor: str, action: str, detail: str | Mapping[str, Any] = ""
    ) -> None:
        """Record a staff action. Callers must not put citizens' personal data in `detail`."""
        text_detail = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True)
        s.add(m.AuditEntry(at=self._clock.now(), actor=actor, action=action, detail=text_detail))

    @_transaction
    def audit_entries(self, s: Session, limit: int = 200) -> list[AuditRecord]:
        rows = s.scalars(select(m.AuditEntry).order_by(m.AuditEntry.id.desc()).limit(limit))
        return [AuditRecord(self._local(a.at), a.actor, a.action, a.detail) for a in rows]

    @_transaction
    def get_setting(self, s: Session, key: str, default: Any = None) -> Any:
        row = s.get(m.Setting, key)
        return default if row is None else json.loads(row.value)

    @_transaction
    def set_setting(self, s: Session, key: str, value: Any) -> None:
        s.merge(m.Setting(key=key, value=json.dumps(value)))

    # ------------------------------------------------------------ diagnostics

    def integrity_check(self) -> str:
        """'ok', or a technician-facing description of what is wrong (database pages, missing
        or unexpected document files)."""
        problems: list[str] = []
        try:
            with self._require_open().begin() as s:
                results = [r[0] for r in s.execute(text("PRAGMA integrity_check")).all()]
                names = set(
                    s.scalars(select(m.Document.file_name).where(m.Document.file_name.is_not(None)))
                )
        except SQLAlchemyError as exc:
            return f"database error: {getattr(exc, 'orig', exc)}"
        if results != ["ok"]:
            problems.append("database: " + "; ".join(results[:5]))
        present = {p.name for p in self._vault.directory.iterdir() if p.is_file()}
        missing = names - present
        extra = present - names
        if missing:
            problems.append(f"{len(missing)} document file(s) missing")
        if extra:
            problems.append(f"{len(extra)} unreferenced file(s) in the documents folder")
        return "ok" if not problems else "; ".join(problems)
