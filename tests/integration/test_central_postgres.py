"""The central service on real PostgreSQL (``-m postgres``; needs KIOSK_TEST_PG_URL, see
central_helpers.PG_HOWTO), plus the same concurrency checks on SQLite for comparison."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_helpers import CentralServer, pg_url_fixture  # noqa: F401
from sqlalchemy import func, select, text

from kiosk.central.config import QueuePolicy
from kiosk.central.db import make_engine, migrate, session_factory, transaction
from kiosk.central.models import SyncEvent, Ticket
from kiosk.central.queue import call_next
from kiosk.central.syncing import apply_batch

AGENCY = "cau-uio"


def ticket_event(kiosk_id: str, n: int, turn_id: str | None = None) -> dict[str, Any]:
    issued = (datetime(2026, 11, 26, 14, 0, tzinfo=UTC) + timedelta(seconds=n)).isoformat()
    return {
        "event_id": f"{kiosk_id}-{n}-{uuid.uuid4().hex[:6]}" if turn_id else f"{kiosk_id}-{n}",
        "type": "ticket_issued",
        "occurred_at": issued,
        "payload": {
            "ticket_id": f"{kiosk_id}-t{n}" if not turn_id else uuid.uuid4().hex,
            "number": f"G-{n}",
            "agency_id": AGENCY,
            "kiosk_id": kiosk_id,
            "tramite_id": "cert-sgrt",
            "kind": "appointment" if turn_id else "walk_in",
            "turn_id": turn_id,
            "slot_start": issued if turn_id else None,
            "priority": n % 7 == 0,
            "citizen_ref": "ref",
            "issued_at": issued,
            "documents": [],
        },
    }


def _call_next_from_threads(url: str, tickets: int, threads: int) -> list[str]:
    engine = make_engine(url, pool_size=threads)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        apply_batch(s, "k1", AGENCY, [ticket_event("k1", i) for i in range(tickets)])
    got: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def counter(i: int) -> None:
        start.wait()
        while True:
            with transaction(factory) as s:
                t = call_next(s, AGENCY, f"v{i}", QueuePolicy())
                tid = None if t is None else t.ticket_id
            if tid is None:
                return
            with lock:
                got.append(tid)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(counter, range(threads)))
    with factory() as s:
        called = s.scalar(select(func.count()).where(Ticket.state == "called"))
    engine.dispose()
    assert called == tickets
    return got


def _assert_each_once(got: list[str], tickets: int) -> None:
    twice = [t for t, c in Counter(got).items() if c > 1]
    assert twice == [], f"{len(twice)} tickets dispatched to two counters"
    assert len(got) == tickets


@pytest.mark.postgres
def test_pg_concurrent_call_next_never_double_dispatches(pg_url: str) -> None:
    _assert_each_once(_call_next_from_threads(pg_url, 400, 16), 400)


def test_sqlite_concurrent_call_next_never_double_dispatches(tmp_path: Path) -> None:
    _assert_each_once(_call_next_from_threads(f"sqlite:///{tmp_path / 'q.db'}", 150, 8), 150)


@pytest.mark.postgres
def test_pg_migrations_are_idempotent(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    from alembic import command

    from kiosk.central.db import alembic_config

    command.check(alembic_config(engine))  # the PostgreSQL schema is exactly the models
    engine.dispose()


def _concurrent_sync(url: str, workdir: Path, workers: int) -> None:
    """Many kiosks retrying the same batches at once, plus one turn checked in from 8 kiosks
    at the same instant: every event stored once, exactly one check-in of the turn accepted."""
    with CentralServer(workdir, db_url=url, workers=workers) as server:
        creds = {f"k{i}": server.enrol(f"k{i}", AGENCY)[1] for i in range(8)}
        batches = {k: [ticket_event(k, n) for n in range(60)] for k in creds}
        turn = uuid.uuid4().hex[:16]
        replays = {k: ticket_event(k, 999, turn_id=turn) for k in creds}
        statuses: Counter[str] = Counter()
        turn_statuses: Counter[str] = Counter()
        lock = threading.Lock()
        start = threading.Barrier(len(creds) * 3)

        def kiosk(k: str) -> None:
            start.wait()
            with httpx.Client(
                base_url=server.base_url, timeout=30, headers=server.kiosk_headers(k, creds[k])
            ) as http:
                r = http.post("/api/v1/sync", json={"events": [replays[k], *batches[k]]})
                results = r.json()["results"]
                with lock:
                    turn_statuses[results[0]["status"]] += 1
                    statuses.update(x["status"] for x in results[1:])

        with ThreadPoolExecutor(len(creds) * 3) as pool:
            # each kiosk sends its batch three times concurrently (lost responses, retries)
            list(pool.map(kiosk, [k for k in creds for _ in range(3)]))
        assert statuses["accepted"] == 8 * 60 and statuses["duplicate"] == 2 * 8 * 60
        assert turn_statuses == {"accepted": 1, "conflict": 7, "duplicate": 16}
        conflicts = httpx.get(
            server.base_url + "/api/v1/conflicts", headers=server.admin_headers
        ).json()["conflicts"]
        assert len(conflicts) == 7

        server.kill()  # and the data is still there after a power cut
        server.restart()
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Ticket)).scalar_one() == 8 * 61
            assert conn.execute(select(func.count()).select_from(SyncEvent)).scalar_one() == (
                8 * 61
            )
        engine.dispose()


@pytest.mark.postgres
def test_pg_concurrent_sync_is_idempotent_and_detects_replays(pg_url: str, tmp_path: Path) -> None:
    _concurrent_sync(pg_url, tmp_path, workers=2)


def test_sqlite_concurrent_sync_is_idempotent_and_detects_replays(tmp_path: Path) -> None:
    _concurrent_sync(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, workers=1)


@pytest.mark.postgres
def test_pg_counters_over_http_with_two_workers(pg_url: str, tmp_path: Path) -> None:
    with CentralServer(tmp_path, db_url=pg_url, workers=2) as server:
        kiosk_id, cred = server.enrol("k1", AGENCY)
        events = [ticket_event("k1", n) for n in range(200)]
        r = httpx.post(
            server.base_url + "/api/v1/sync",
            json={"events": events},
            headers=server.kiosk_headers(kiosk_id, cred),
            timeout=30,
        )
        assert r.status_code == 200
        got: list[str] = []
        lock = threading.Lock()

        def counter(i: int) -> None:
            with httpx.Client(
                base_url=server.base_url, headers=server.admin_headers, timeout=30
            ) as http:
                while True:
                    r = http.post(f"/api/v1/agencies/{AGENCY}/counters/v{i}/next")
                    if r.status_code == 204:
                        return
                    with lock:
                        got.append(r.json()["ticket_id"])

        with ThreadPoolExecutor(12) as pool:
            list(pool.map(counter, range(12)))
        _assert_each_once(got, 200)
