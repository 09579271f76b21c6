"""Queue ordering: the SQL used by call_next and the Python key used for positions agree, and
they implement the documented policy (priority, appointments, anti-starvation, FIFO)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.central.config import QueuePolicy
from kiosk.central.db import make_engine, migrate, session_factory, transaction
from kiosk.central.models import Ticket
from kiosk.central.queue import call_next, sort_key

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("queue") / "q.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


tickets_strategy = st.lists(
    st.tuples(st.booleans(), st.booleans(), st.integers(0, 90)),  # priority, appointment, age
    min_size=1,
    max_size=25,
)
policies = st.builds(
    QueuePolicy,
    priority_first=st.booleans(),
    appointments_first=st.booleans(),
    starvation_minutes=st.integers(1, 60),
)


@given(tickets_strategy, policies)
@settings(max_examples=40, deadline=None)
def test_call_next_follows_sort_key(
    engine_url: str, spec: list[tuple[bool, bool, int]], policy: QueuePolicy
) -> None:
    engine = make_engine(engine_url)
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.query(Ticket).delete()
        for i, (prio, appt, age) in enumerate(spec):
            s.add(
                Ticket(
                    ticket_id=f"t{i:03d}",
                    number=f"A-{i}",
                    agency_id="ag",
                    kiosk_id="k",
                    tramite_id="tr",
                    kind="appointment" if appt else "walk_in",
                    turn_id=f"turn{i}" if appt else None,
                    priority=prio,
                    citizen_ref="",
                    issued_at=NOW - timedelta(minutes=age),
                    received_at=NOW,
                    state="waiting",
                    recalls=0,
                )
            )
    with factory() as s:
        expected = [
            t.ticket_id
            for t in sorted(s.query(Ticket).all(), key=lambda t: sort_key(t, policy, NOW))
        ]
    called = []
    while True:
        with transaction(factory) as s:
            t = call_next(s, "ag", "c1", policy, now=NOW)
            if t is None:
                break
            called.append(t.ticket_id)
    engine.dispose()
    assert called == expected


def test_policy_examples() -> None:
    def t(tid: str, prio: bool, kind: str, age: int) -> Ticket:
        return Ticket(
            ticket_id=tid, priority=prio, kind=kind, issued_at=NOW - timedelta(minutes=age)
        )

    pool = [
        t("walk-new", False, "walk_in", 1),
        t("appt", False, "appointment", 2),
        t("walk-starving", False, "walk_in", 25),
        t("prio-walk", True, "walk_in", 0),
    ]
    order = [x.ticket_id for x in sorted(pool, key=lambda x: sort_key(x, QueuePolicy(), NOW))]
    assert order == ["prio-walk", "walk-starving", "appt", "walk-new"]
    fifo = QueuePolicy(priority_first=False, appointments_first=False)
    order = [x.ticket_id for x in sorted(pool, key=lambda x: sort_key(x, fifo, NOW))]
    assert order == ["walk-starving", "appt", "walk-new", "prio-walk"]
