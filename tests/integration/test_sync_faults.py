"""Sync fault tests against the real central service (subprocess on loopback, SQLite) and the
real kiosk store: central down, connection cut mid-batch, central killed, kiosk killed. After
recovery the central must hold every kiosk event exactly once (checked in its database)."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from central_helpers import CentralServer

from kiosk.domain.ports import Clock, SystemClock
from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit
from kiosk.sync import CentralAuthError, CentralClient, SyncWorker
from kiosk.sync.testing import CutProxy, central_db_view

AGENCY = "cau-quito-norte"
pytestmark = pytest.mark.slow


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralServer]:
    # explicit token: a random token_urlsafe may start with "-", which argparse takes for an option
    server = CentralServer(tmp_path / "central", admin_token="admin" + secrets.token_hex(12))
    try:
        yield server.start()
    finally:
        server.stop()


def _enrol(central: CentralServer, kiosk_id: str = "k1") -> tuple[str, str]:
    """Enrol, then wait until the credential works: the central's enrol endpoint answers before
    its transaction commits (FastAPI runs yield-dependency teardown after the response), so a
    kill -9 right after enrolment could otherwise lose it. Reported to the central's owner."""
    kiosk_id, credential = central.enrol(kiosk_id, AGENCY)
    with CentralClient(central.base_url, kiosk_id, credential) as client:
        for _ in range(100):
            try:
                client.trust_list()
                return kiosk_id, credential
            except CentralAuthError:
                time.sleep(0.02)
    raise AssertionError("enrolment never became effective")


def _db(central: CentralServer) -> str:
    return str(central.workdir / "central.db")


def _fill(store: KioskStore, clock: Clock, n: int, *, docs: int = 1, print_every: int = 2) -> None:
    for i in range(n):
        appointment = i % 3 == 0
        t = store.complete_visit(
            make_visit(
                clock,
                kiosk_id=store.kiosk_id,
                agency_id=AGENCY,
                documents=docs,
                kind="appointment" if appointment else "walk_in",
                turn_id=f"{store.kiosk_id}-turn-{i}-{random.getrandbits(32)}"
                if appointment
                else None,
            )
        )
        if print_every and i % print_every == 0:
            store.mark_printed(t.ticket_id, True, "ok")


def _wait(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _assert_exactly_once(store: KioskStore, central: CentralServer) -> None:
    """Every local event is at the central once, nothing else is; tickets and documents too."""
    local = store.event_states()
    assert set(local.values()) == {"acked"}, "some event is not acknowledged"
    view = central_db_view(_db(central), store.kiosk_id)
    assert len(view["event_ids"]) == len(set(view["event_ids"]))
    assert sorted(view["event_ids"]) == sorted(local)
    tickets = view["tickets"]
    assert len(tickets) == store.tickets_issued(
        store.get_ticket(next(iter(tickets))).issued_at.date()
    )  # type: ignore[union-attr]
    for ticket_id, (number, _printed) in tickets.items():
        mine = store.get_ticket(ticket_id)
        assert mine is not None and mine.number == number and not mine.pending_sync
    assert view["documents"] and all(uploaded for _sha, uploaded in view["documents"].values())
    assert store.pending_documents() == [] and store.integrity_check() == "ok"
    assert store.conflicts() == []


def test_central_down_for_the_whole_visit_then_backlog_drains_by_itself(
    tmp_path: Path, central: CentralServer
) -> None:
    kiosk_id, credential = _enrol(central)
    central.kill()  # the link is down before the first citizen arrives
    clock = SystemClock()
    store = KioskStore.open(tmp_path / "kiosk", kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock)
    client = CentralClient(central.base_url, kiosk_id, credential, timeout=2.0)
    worker = SyncWorker(
        store, client, clock, batch_size=10, base_delay=0.05, max_delay=0.5, poll_interval=0.5
    )
    worker.start()
    try:
        for _ in range(30):
            _fill(store, clock, 1)
            worker.wake()  # what the UI does after each visit
        _wait(lambda: worker.health().last_error is not None, 10, "a failed attempt")
        health = worker.health()
        assert not health.online and health.backlog == 60  # 30 tickets + 30 print statuses
        central.start()  # same port, same database; nobody calls wake() or force sync
        _wait(
            lambda: store.backlog() == 0 and not list((store.data_dir / "documents").iterdir()),
            60,
            "the backlog to drain",
        )
        _wait(lambda: worker.health().online, 10, "online")
    finally:
        worker.stop()
        client.close()
    try:
        _assert_exactly_once(store, central)
    finally:
        store.close()


def test_connection_cut_after_request_before_reply(tmp_path: Path, central: CentralServer) -> None:
    kiosk_id, credential = _enrol(central)
    clock = FakeClock()
    store = KioskStore.open(tmp_path / "kiosk", kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock)
    up = urlsplit(central.base_url)
    with (
        CutProxy((up.hostname or "127.0.0.1", up.port or 80)) as proxy,
        CentralClient(proxy.base_url, kiosk_id, credential, timeout=5.0) as client,
    ):
        _fill(store, clock, 40, print_every=0)
        worker = SyncWorker(store, client, clock, batch_size=10, rng=random.Random(3))
        assert worker.run_once().acked == 10
        proxy.cut_replies = 1
        report = worker.run_once()
        assert report.retried == 10 and report.acked == 0 and report.error
        assert proxy.cuts == 1
        # the central did apply the batch whose reply was lost
        assert len(central_db_view(_db(central), kiosk_id)["event_ids"]) == 20
        proxy.cut_replies = 3  # and a few more cuts, on events and on document uploads
        for _ in range(50):
            clock.advance(600)
            worker.run_once()
            if store.backlog() == 0 and not store.pending_documents():
                break
        assert proxy.cuts == 4
    try:
        _assert_exactly_once(store, central)
    finally:
        store.close()


def test_central_killed_and_restarted_while_draining(
    tmp_path: Path, central: CentralServer
) -> None:
    kiosk_id, credential = _enrol(central)
    clock = SystemClock()
    store = KioskStore.open(tmp_path / "kiosk", kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock)
    _fill(store, clock, 200, docs=1, print_every=4)
    total = store.backlog()
    client = CentralClient(central.base_url, kiosk_id, credential, timeout=2.0)
    worker = SyncWorker(store, client, clock, batch_size=5, base_delay=0.05, max_delay=0.5)
    worker.start()
    try:
        _wait(lambda: store.backlog() < total - 20, 30, "the drain to start")
        central.kill()  # SIGKILL mid-stream: some batch is probably in flight
        assert store.backlog() > 0
        time.sleep(0.3)
        central.start()
        _wait(
            lambda: store.backlog() == 0 and not store.pending_documents(), 60, "the drain to end"
        )
    finally:
        worker.stop()
        client.close()
    try:
        _assert_exactly_once(store, central)
    finally:
        store.close()


KIOSK_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kiosk.domain.ports import SystemClock
    from kiosk.store import KioskStore
    from kiosk.sync import CentralAuthError, CentralClient, SyncWorker

    data_dir, base_url, kiosk_id, credential, agency = sys.argv[1:6]
    clock = SystemClock()
    store = KioskStore.open(Path(data_dir), kiosk_id=kiosk_id, agency_id=agency, clock=clock)
    client = CentralClient(base_url, kiosk_id, credential, timeout=2.0)
    worker = SyncWorker(store, client, clock, batch_size=5, base_delay=0.05, max_delay=0.5)
    worker.start()
    print("draining", flush=True)
    time.sleep(120)
    """
)


def test_kiosk_killed_while_draining_then_restarted(
    tmp_path: Path, central: CentralServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kill can land between a purge's commit and its file deletes. A real restart comes
    # minutes later and sweeps such orphans; this in-process restart comes at once, so let the
    # sweep take files of any age (no other process shares this data dir in the test).
    monkeypatch.setattr("kiosk.store.store.ORPHAN_MIN_AGE_S", 0)
    kiosk_id, credential = _enrol(central)
    data_dir = tmp_path / "kiosk"
    clock = SystemClock()
    with KioskStore.open(data_dir, kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock) as store:
        _fill(store, clock, 200, docs=1, print_every=3)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KIOSK_CHILD,
            str(data_dir),
            central.base_url,
            kiosk_id,
            credential,
            AGENCY,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "draining"
        _wait(
            lambda: len(central_db_view(_db(central), kiosk_id)["event_ids"]) >= 60,
            30,
            "the child to drain part of the outbox",
        )
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
    assert child.returncode == -signal.SIGKILL
    partial = central_db_view(_db(central), kiosk_id)
    # restart: a new process (here: the test) opens the same store and finishes the job
    store = KioskStore.open(data_dir, kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock)
    try:
        assert store.backlog() > 0, "the kill came too late to test anything"
        assert len(partial["event_ids"]) < len(store.event_states())
        with CentralClient(central.base_url, kiosk_id, credential) as client:
            worker = SyncWorker(store, client, clock, batch_size=50, base_delay=0.01, max_delay=0.1)
            for _ in range(200):
                worker.run_once()
                if store.backlog() == 0 and not store.pending_documents():
                    break
                time.sleep(0.01)
        _assert_exactly_once(store, central)
        assert json.dumps(sorted(partial["event_ids"]))  # the partial set is a subset:
        assert set(partial["event_ids"]) <= set(store.event_states())
    finally:
        store.close()
