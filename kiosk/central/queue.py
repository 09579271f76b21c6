"""The queue the counters call from.

Ordering (configurable through ``QueuePolicy``), among tickets ``waiting`` in one agency:

1. priority attention groups first (Constitution Art. 35: older adults, pregnant women, persons
   with disabilities, catastrophic illness...), when ``priority_first``;
2. then appointments ahead of walk-ins, when ``appointments_first`` — except that a walk-in who
   has waited more than ``starvation_minutes`` ranks with the appointments (anti-starvation: a
   steady flow of appointments cannot keep a walk-in waiting all day);
3. then first come, first served by ``issued_at`` (ticket id breaks exact ties).

``call_next`` is safe with many counters at once: on PostgreSQL the candidate row is taken with
``SELECT ... FOR UPDATE SKIP LOCKED`` (a second counter skips it and takes the next one); on
SQLite every transaction is BEGIN IMMEDIATE (kiosk.central.db), so calls are serialised.
``held`` tickets (a turn checked in twice) wait for staff and are never called automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from kiosk.central.config import QueuePolicy
from kiosk.central.models import Ticket
from kiosk.central.timeutil import as_utc, iso, utcnow

ACTIVE_COUNTER_WINDOW = timedelta(minutes=30)


def sort_key(t: Ticket, policy: QueuePolicy, now: datetime) -> tuple[Any, ...]:
    """The queue order as a sort key (queue positions; the reference call_next is tested
    against)."""
    key: list[Any] = []
    issued = as_utc(t.issued_at)
    if policy.priority_first:
        key.append(0 if t.priority else 1)
    if policy.appointments_first:
        starving = issued <= now - timedelta(minutes=policy.starvation_minutes)
        key.append(0 if t.kind == "appointment" or starving else 1)
    return (*key, issued, t.ticket_id)


def _head(
    session: Session, base: Select[tuple[Ticket]], lock: bool, *conds: ColumnElement[bool]
) -> Ticket | None:
    """The oldest waiting ticket matching ``conds`` — one walk down ix_tickets_next."""
    stmt = base.where(*conds).order_by(Ticket.issued_at, Ticket.ticket_id).limit(1)
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def _fifo_key(t: Ticket) -> tuple[datetime, str]:
    return as_utc(t.issued_at), t.ticket_id


def call_next(
    session: Session,
    agency_id: str,
    counter_id: str,
    policy: QueuePolicy,
    tramites: list[str] | None = None,
    now: datetime | None = None,
) -> Ticket | None:
    """Take the first ticket in queue order (the module docstring; ``sort_key``), mark it called.

    Not one ORDER BY over the whole queue (a sort of every waiting ticket per call): at most
    four indexed "oldest of ..." lookups — priority group by group, the oldest appointment and
    the oldest walk-in, the latter ranking with appointments when it is starving. Same order as
    ``sort_key`` (a property test checks it).
    """
    now = now or utcnow()
    lock = session.get_bind().dialect.name == "postgresql"
    base = select(Ticket).where(Ticket.agency_id == agency_id, Ticket.state == "waiting")
    if tramites:
        base = base.where(Ticket.tramite_id.in_(tramites))
    groups: list[list[ColumnElement[bool]]] = (
        [[Ticket.priority.is_(True)], [Ticket.priority.is_(False)]]
        if policy.priority_first
        else [[]]
    )
    cutoff = now - timedelta(minutes=policy.starvation_minutes)
    ticket: Ticket | None = None
    for group in groups:
        if policy.appointments_first:
            appt = _head(session, base, lock, *group, Ticket.kind == "appointment")
            walk = _head(session, base, lock, *group, Ticket.kind != "appointment")
            starving = walk is not None and as_utc(walk.issued_at) <= cutoff
            first_class = [t for t in (appt, walk if starving else None) if t is not None]
            ticket = min(first_class, key=_fifo_key) if first_class else walk
        else:
            ticket = _head(session, base, lock, *group)
        if ticket is not None:
            break
    if ticket is None:
        return None
    ticket.state = "called"
    ticket.counter_id = counter_id
    ticket.called_at = now
    session.flush()
    return ticket


@dataclass(frozen=True)
class TicketStatus:
    ticket_id: str
    number: str
    state: str
    position: int | None
    wait_minutes: tuple[int, int] | None
    counter_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "number": self.number,
            "state": self.state,
            "position": self.position,
            "wait_minutes": list(self.wait_minutes) if self.wait_minutes else None,
            "counter_id": self.counter_id,
        }


def ticket_status(
    session: Session, ticket: Ticket, policy: QueuePolicy, now: datetime | None = None
) -> TicketStatus:
    now = now or utcnow()
    position: int | None = None
    wait: tuple[int, int] | None = None
    if ticket.state == "waiting":
        waiting = session.scalars(
            select(Ticket).where(Ticket.agency_id == ticket.agency_id, Ticket.state == "waiting")
        ).all()
        mine = sort_key(ticket, policy, now)
        position = 1 + sum(1 for t in waiting if sort_key(t, policy, now) < mine)
        counters = (
            session.scalar(
                select(func.count(func.distinct(Ticket.counter_id))).where(
                    Ticket.agency_id == ticket.agency_id,
                    Ticket.called_at >= now - ACTIVE_COUNTER_WINDOW,
                )
            )
            or 1
        )
        expected = (position - 1) * policy.service_minutes / counters
        wait = (int(expected * 0.7), int(expected * 1.5) + 5)
    return TicketStatus(
        ticket.ticket_id, ticket.number, ticket.state, position, wait, ticket.counter_id
    )


def ticket_json(t: Ticket) -> dict[str, Any]:
    """What a counter sees of a ticket (no citizen data beyond the salted reference)."""
    return {
        "ticket_id": t.ticket_id,
        "number": t.number,
        "agency_id": t.agency_id,
        "kiosk_id": t.kiosk_id,
        "tramite_id": t.tramite_id,
        "kind": t.kind,
        "turn_id": t.turn_id,
        "slot_start": iso(t.slot_start),
        "priority": t.priority,
        "citizen_ref": t.citizen_ref,
        "issued_at": iso(t.issued_at),
        "state": t.state,
        "counter_id": t.counter_id,
        "called_at": iso(t.called_at),
        "recalls": t.recalls,
        "printed": t.printed,
    }
