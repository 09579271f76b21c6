"""Applying a kiosk's batch of outbox events: idempotent, atomic, bulk.

One transaction per batch. Each event is inserted into ``sync_events`` with
``ON CONFLICT (event_id) DO NOTHING``: the rows that come back are new, the rest are duplicates,
so a retry after a cut connection changes nothing. New tickets are bulk-inserted the same way;
an appointment's turn_id is then claimed in ``turn_checkins`` (primary key = turn_id), which is
what detects a turn checked in twice (a replayed confirmation, or two kiosks offline at once)
even when the two batches commit concurrently on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk.central.models import Conflict, Document, SyncEvent, Ticket, TurnCheckin
from kiosk.central.timeutil import parse_iso, utcnow

log = logging.getLogger("kiosk.central.sync")

# Core tables, for bulk statements (typed once here rather than cast at every use)
EVENTS: Table = SyncEvent.__table__  # type: ignore[assignment]
TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
CHECKINS: Table = TurnCheckin.__table__  # type: ignore[assignment]
DOCUMENTS: Table = Document.__table__  # type: ignore[assignment]

EVENT_TYPES = ("ticket_issued", "print_status")
CONTENT_TYPES = ("image/jpeg", "application/pdf")
MAX_DOCUMENT_BYTES = 1024 * 1024


class BatchError(ValueError):
    """The batch as a whole is malformed: 422, nothing stored."""


@dataclass(frozen=True)
class EventResult:
    event_id: str
    status: str  # accepted | duplicate | conflict | rejected
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "status": self.status, "detail": self.detail}


@dataclass
class _Event:
    event_id: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]
    raw_payload: str


def _str(p: dict[str, Any], key: str, *, max_len: int = 64, allow_empty: bool = False) -> str:
    value = p.get(key)
    if not isinstance(value, str) or (not value and not allow_empty) or len(value) > max_len:
        raise ValueError(f"{key}: expected a string of 1..{max_len} chars")
    return value


def parse_envelope(body: Any, max_events: int) -> list[dict[str, Any]]:
    """Structural checks of the whole request; raise BatchError (422) before touching the db."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise BatchError('expected {"events": [...]}')
    events: list[dict[str, Any]] = body["events"]
    if len(events) > max_events:
        raise OverflowError(f"at most {max_events} events per request")
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            raise BatchError(f"events[{i}]: expected an object")
        eid = e.get("event_id")
        if not isinstance(eid, str) or not 0 < len(eid) <= 128:
            raise BatchError(f"events[{i}].event_id: expected a string of 1..128 chars")
    return events


def _validate(e: dict[str, Any], kiosk_id: str, agency_id: str) -> _Event:
    """One event; ValueError -> that event is rejected (and not stored)."""
    etype = e.get("type")
    if etype not in EVENT_TYPES:
        raise ValueError("unknown event type")
    occurred = parse_iso(e.get("occurred_at"))
    p = e.get("payload")
    if not isinstance(p, dict):
        raise ValueError("payload: expected an object")
    _str(p, "ticket_id")
    if etype == "ticket_issued":
        _str(p, "number", max_len=16)
        _str(p, "tramite_id")
        if _str(p, "kiosk_id") != kiosk_id:
            raise ValueError("kiosk_id does not match the authenticated kiosk")
        if _str(p, "agency_id") != agency_id:
            raise ValueError("agency_id is not the kiosk's agency")
        if p.get("kind") not in ("appointment", "walk_in"):
            raise ValueError("kind: expected appointment or walk_in")
        if p["kind"] == "appointment":
            _str(p, "turn_id")
            parse_iso(p.get("slot_start"))
        else:
            if p.get("turn_id") is not None:
                raise ValueError("turn_id: a walk-in has no turn")
            if p.get("slot_start") is not None:
                parse_iso(p["slot_start"])
        if not isinstance(p.get("priority"), bool):
            raise ValueError("priority: expected a boolean")
        _str(p, "citizen_ref", max_len=128, allow_empty=True)
        parse_iso(p.get("issued_at"))
        docs = p.get("documents", [])
        if not isinstance(docs, list) or len(docs) > 50:
            raise ValueError("documents: expected a list")
        for d in docs:
            if not isinstance(d, dict):
                raise ValueError("documents: expected objects")
            _str(d, "document_id")
            _str(d, "requirement_id")
            sha = _str(d, "sha256")
            if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                raise ValueError("documents.sha256: expected 64 lowercase hex chars")
            size = d.get("size")
            if type(size) is not int or not 0 < size <= MAX_DOCUMENT_BYTES:
                raise ValueError("documents.size: expected 1..1048576")
            if d.get("content_type") not in CONTENT_TYPES:
                raise ValueError("documents.content_type: expected image/jpeg or application/pdf")
    else:
        if not isinstance(p.get("printed"), bool):
            raise ValueError("printed: expected a boolean")
        if not isinstance(p.get("detail", ""), str):
            raise ValueError("detail: expected a string")
    return _Event(e["event_id"], etype, occurred, p, json.dumps(p, separators=(",", ":")))


def insert_ignore(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Bulk INSERT ... ON CONFLICT DO NOTHING RETURNING <cols>: the rows that were new."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = ins.on_conflict_do_nothing().returning(*(table.c[c] for c in returning))
    # one multi-row statement per chunk ("insertmanyvalues"), not one round trip per row
    return [tuple(r) for r in session.execute(stmt, list(rows)).all()]


def apply_batch(
    session: Session, kiosk_id: str, agency_id: str, events: list[dict[str, Any]]
) -> list[EventResult]:
    """Apply one request's events inside the caller's transaction; results in request order."""
    now = utcnow()
    results: dict[int, EventResult] = {}
    valid: list[tuple[int, _Event]] = []
    seen: set[str] = set()
    for i, raw in enumerate(events):
        eid = raw["event_id"]
        if eid in seen:
            results[i] = EventResult(eid, "duplicate", "repeated in the same batch")
            continue
        seen.add(eid)
        try:
            valid.append((i, _validate(raw, kiosk_id, agency_id)))
        except (ValueError, TypeError) as exc:
            log.info("kiosk %s: event rejected: %s", kiosk_id, exc)
            results[i] = EventResult(eid, "rejected", str(exc))

    # sorted keys: concurrent batches lock index entries in the same order (no deadlocks)
    valid.sort(key=lambda ie: ie[1].event_id)
    new_ids = {
        r[0]
        for r in insert_ignore(
            session,
            EVENTS,
            [
                {
                    "event_id": ev.event_id,
                    "kiosk_id": kiosk_id,
                    "type": ev.type,
                    "occurred_at": ev.occurred_at,
                    "received_at": now,
                    "status": "accepted",
                    "payload": ev.raw_payload,
                }
                for _, ev in valid
            ],
            ["event_id"],
        )
    }
    fresh = [(i, ev) for i, ev in valid if ev.event_id in new_ids]
    old_ids = [ev.event_id for _, ev in valid if ev.event_id not in new_ids]
    owners: dict[str, str] = {}
    if old_ids:
        owners = {
            eid: owner
            for eid, owner in session.execute(
                select(EVENTS.c.event_id, EVENTS.c.kiosk_id).where(EVENTS.c.event_id.in_(old_ids))
            )
        }
    for i, ev in valid:
        if ev.event_id not in new_ids:
            if owners.get(ev.event_id, kiosk_id) != kiosk_id:
                # never tell a kiosk its event is safe when what is stored is someone else's
                results[i] = EventResult(ev.event_id, "rejected", "event_id used by another kiosk")
                log.warning("kiosk %s: event id already used by another kiosk", kiosk_id)
            else:
                results[i] = EventResult(ev.event_id, "duplicate", None)

    issued = [(i, ev) for i, ev in fresh if ev.type == "ticket_issued"]
    issued.sort(key=lambda ie: ie[1].payload["ticket_id"])
    new_tickets = {
        r[0]
        for r in insert_ignore(
            session,
            TICKETS,
            [_ticket_row(ev.payload, now) for _, ev in issued],
            ["ticket_id"],
        )
    }
    relabel: dict[str, str] = {}  # event_id -> new stored status
    appointments: list[tuple[int, _Event]] = []
    unstored: list[str] = []  # events inserted above but rejected after all: removed below
    known = [
        ev.payload["ticket_id"] for _, ev in issued if ev.payload["ticket_id"] not in new_tickets
    ]
    ticket_owners: dict[str, str] = {}
    if known:
        ticket_owners = {
            tid: owner
            for tid, owner in session.execute(
                select(TICKETS.c.ticket_id, TICKETS.c.kiosk_id).where(
                    TICKETS.c.ticket_id.in_(known)
                )
            )
        }
    for i, ev in issued:
        if ev.payload["ticket_id"] not in new_tickets:
            if ticket_owners.get(ev.payload["ticket_id"], kiosk_id) != kiosk_id:
                results[i] = EventResult(ev.event_id, "rejected", "ticket_id used by another kiosk")
                unstored.append(ev.event_id)
                log.warning("kiosk %s: ticket id already used by another kiosk", kiosk_id)
                continue
            # same ticket under a new event id (kiosk re-queued it): nothing new to apply
            results[i] = EventResult(ev.event_id, "duplicate", "ticket already recorded")
            relabel[ev.event_id] = "duplicate"
        elif ev.payload.get("turn_id"):
            appointments.append((i, ev))
        else:
            results[i] = EventResult(ev.event_id, "accepted")

    if appointments:
        # the earliest check-in of a turn wins (then request order); sorted by key for locking
        appointments.sort(
            key=lambda ie: (ie[1].payload["turn_id"], parse_iso(ie[1].payload["issued_at"]), ie[0])
        )
        claimed = {
            (r[0], r[1])
            for r in insert_ignore(
                session,
                CHECKINS,
                [
                    {
                        "turn_id": ev.payload["turn_id"],
                        "ticket_id": ev.payload["ticket_id"],
                        "kiosk_id": kiosk_id,
                    }
                    for _, ev in appointments
                ],
                ["turn_id", "ticket_id"],
            )
        }
        conflicts = [
            (i, ev)
            for i, ev in appointments
            if (ev.payload["turn_id"], ev.payload["ticket_id"]) not in claimed
        ]
        for i, ev in appointments:
            if (ev.payload["turn_id"], ev.payload["ticket_id"]) in claimed:
                results[i] = EventResult(ev.event_id, "accepted")
        if conflicts:
            firsts: dict[str, str] = {
                turn: ticket
                for turn, ticket in session.execute(
                    select(TurnCheckin.turn_id, TurnCheckin.ticket_id).where(
                        TurnCheckin.turn_id.in_({ev.payload["turn_id"] for _, ev in conflicts})
                    )
                )
            }
            for i, ev in conflicts:
                tid = ev.payload["ticket_id"]
                session.add(
                    Conflict(
                        turn_id=ev.payload["turn_id"],
                        ticket_id=tid,
                        kiosk_id=kiosk_id,
                        first_ticket_id=firsts.get(ev.payload["turn_id"], ""),
                        detected_at=now,
                    )
                )
                results[i] = EventResult(
                    ev.event_id, "conflict", "turn already checked in; held for staff"
                )
                relabel[ev.event_id] = "conflict"
                log.warning("kiosk %s: turn checked in twice; ticket held for staff", kiosk_id)
            session.execute(
                update(Ticket)
                .where(Ticket.ticket_id.in_([ev.payload["ticket_id"] for _, ev in conflicts]))
                .values(state="held")
            )

    docs = [
        {
            "document_id": d["document_id"],
            "ticket_id": ev.payload["ticket_id"],
            "requirement_id": d["requirement_id"],
            "content_type": d["content_type"],
            "sha256": d["sha256"],
            "size": d["size"],
            "kiosk_id": kiosk_id,
        }
        for _, ev in issued
        if ev.payload["ticket_id"] in new_tickets
        for d in ev.payload.get("documents", [])
    ]
    docs.sort(key=lambda d: d["document_id"])
    insert_ignore(session, DOCUMENTS, docs, ["document_id"])

    # Applied in the order they happened (then request order): a reprint that succeeded must
    # not be overwritten by the earlier failure, whatever their event ids sort as.
    prints = sorted(
        ((i, ev) for i, ev in fresh if ev.type == "print_status"),
        key=lambda ie: (ie[1].occurred_at, ie[0]),
    )
    if prints:
        session.connection().execute(
            update(TICKETS)
            .where(TICKETS.c.ticket_id == bindparam("tid"))
            .where(TICKETS.c.kiosk_id == kiosk_id)
            .values(printed=bindparam("p"), print_detail=bindparam("d")),
            [
                {
                    "tid": ev.payload["ticket_id"],
                    "p": ev.payload["printed"],
                    "d": str(ev.payload.get("detail", ""))[:200],
                }
                for _, ev in prints
            ],
        )
        for i, ev in prints:
            results[i] = EventResult(ev.event_id, "accepted")

    if unstored:
        session.execute(EVENTS.delete().where(EVENTS.c.event_id.in_(unstored)))
    if relabel:
        session.connection().execute(
            update(EVENTS)
            .where(EVENTS.c.event_id == bindparam("eid"))
            .values(status=bindparam("st")),
            [{"eid": k, "st": v} for k, v in relabel.items()],
        )
    return [results[i] for i in range(len(events))]


def _ticket_row(p: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "ticket_id": p["ticket_id"],
        "number": p["number"],
        "agency_id": p["agency_id"],
        "kiosk_id": p["kiosk_id"],
        "tramite_id": p["tramite_id"],
        "kind": p["kind"],
        "turn_id": p.get("turn_id") or None,
        "slot_start": parse_iso(p["slot_start"]) if p.get("slot_start") else None,
        "priority": p["priority"],
        "citizen_ref": p["citizen_ref"],
        "issued_at": parse_iso(p["issued_at"]),
        "received_at": now,
        "state": "waiting",
        "recalls": 0,
    }
