"""SyncWorker: draining, retries with persisted backoff, conflicts, dead letters, documents,
trust list, heartbeat and the background thread. Real SQLite store + real loopback HTTP."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit
from kiosk.sync import CentralClient, SyncWorker, load_trust_list
from kiosk.sync.testing import FakeCentral


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[KioskStore]:
    s = KioskStore.open(tmp_path / "data", kiosk_id="k1", agency_id="cau-quito-norte", clock=clock)
    yield s
    s.close()


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    with FakeCentral({"k1": "s3cret"}) as c:
        yield c


@pytest.fixture
def client(central: FakeCentral) -> Iterator[CentralClient]:
    with CentralClient(central.base_url, "k1", "s3cret", timeout=2.0) as c:
        yield c


def _worker(store: KioskStore, client: CentralClient, clock: FakeClock, **kw: object) -> SyncWorker:
    return SyncWorker(store, client, clock, rng=random.Random(7), **kw)  # type: ignore[arg-type]


def test_drain_sends_events_uploads_documents_and_purges(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    tickets = [store.complete_visit(make_visit(clock, documents=2)) for _ in range(3)]
    store.mark_printed(tickets[0].ticket_id, True, "ok")
    worker = _worker(store, client, clock)
    assert worker.health().online is False and worker.health().backlog == 4
    report = worker.run_once()
    assert (report.sent, report.acked, report.uploaded, report.purged) == (4, 4, 6, 6)
    assert report.ok
    assert set(central.state.tickets) == {t.ticket_id for t in tickets}
    assert len(central.state.documents) == 6
    assert list((store.data_dir / "documents").iterdir()) == []
    health = worker.health()
    assert health.online and health.backlog == 0 and health.last_success == clock.now()
    assert central.state.tickets[tickets[0].ticket_id]["printed"] is True
    assert not store.get_ticket(tickets[1].ticket_id).pending_sync  # type: ignore[union-attr]


def test_unavailable_central_backs_off_per_event_and_persists(
    tmp_path: Path, store: KioskStore, client: CentralClient, central: FakeCentral,
    clock: FakeClock,
) -> None:  # fmt: skip
    store.complete_visit(make_visit(clock))
    central.state.fail_next = 3
    worker = _worker(store, client, clock, base_delay=10.0, max_delay=100.0)
    for attempt in range(3):
        report = worker.run_once()
        assert report.retried == 1 and report.error and "503" in report.error
        due = store.next_due_at()
        assert due is not None
        delay = (due - clock.now()).total_seconds()
        assert 0 <= delay <= min(100.0, 10.0 * 2**attempt)
        assert worker.run_once().sent == (1 if delay == 0 else 0)  # nothing due before then
        clock.set(due)
    health = worker.health()
    assert not health.online and health.backlog == 1 and "503" in (health.last_error or "")
    # the schedule is in the database: a restarted kiosk keeps it
    central.state.fail_next = 1
    worker.run_once()
    due = store.next_due_at()
    store.close()
    again = KioskStore.open(store.data_dir, kiosk_id="k1", agency_id="a", clock=clock)
    try:
        assert again.next_due_at() == due
        clock.set(due)  # type: ignore[arg-type]
        report = _worker(again, client, clock).run_once()
        assert report.acked == 1 and again.backlog() == 0
    finally:
        again.close()
    assert central.state.applied.total() == 1


def test_backoff_is_full_jitter_and_capped(store: KioskStore, client: CentralClient) -> None:
    worker = SyncWorker(
        store, client, FakeClock(), base_delay=1.0, max_delay=300.0, rng=random.Random(1)
    )
    samples = {a: [worker.backoff(a) for _ in range(300)] for a in (0, 3, 20, 1000)}
    assert all(0 <= s <= 1.0 for s in samples[0])
    assert all(0 <= s <= 8.0 for s in samples[3]) and max(samples[3]) > 6
    assert all(0 <= s <= 300.0 for s in samples[20]) and max(samples[20]) > 250
    assert all(0 <= s <= 300.0 for s in samples[1000])


def test_dropped_reply_is_retried_without_duplicates(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    for _ in range(5):
        store.complete_visit(make_visit(clock))
    central.state.drop_next = 1
    worker = _worker(store, client, clock, base_delay=0.001)
    assert worker.run_once().retried == 5
    clock.advance(1)
    report = worker.run_once()
    assert report.acked == 5
    assert store.backlog() == 0
    assert len(central.state.events) == 5 and set(central.state.applied.values()) == {1}


def test_conflict_is_acked_and_kept_for_staff(
    tmp_path: Path, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    # two kiosks offline accepted the same turn (a replayed confirmation)
    central.state.credentials["k2"] = "s3cret"
    stores = [
        KioskStore.open(tmp_path / k, kiosk_id=k, agency_id="a", clock=clock) for k in ("k1", "k2")
    ]
    try:
        for s in stores:
            s.complete_visit(
                make_visit(clock, kind="appointment", turn_id="T-1", kiosk_id=s.kiosk_id)
            )
        assert _worker(stores[0], client, clock).run_once().conflicts == 0
        with CentralClient(central.base_url, "k2", "s3cret") as c2:
            report = _worker(stores[1], c2, clock).run_once()
        assert report.conflicts == 1 and report.acked == 1
        [conflict] = stores[1].conflicts()
        assert conflict.detail == "turn already used" and conflict.ticket_id
        assert stores[1].backlog() == 0
    finally:
        for s in stores:
            s.close()


def test_rejected_event_goes_dead_and_batch_refusal_is_bisected(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    tickets = [store.complete_visit(make_visit(clock)) for _ in range(4)]
    store.mark_printed(tickets[2].ticket_id, False, "paper_out")
    central.state.reject_batch_with = "print_status"  # the whole request gets a 422
    report = _worker(store, client, clock).run_once()
    assert report.dead == 1 and report.acked == 4
    assert store.backlog() == 0
    [conflict] = store.conflicts()
    assert conflict.event_type == "print_status" and "422" in conflict.detail
    assert len(central.state.tickets) == 4


def test_auth_failure_keeps_events(
    store: KioskStore, central: FakeCentral, clock: FakeClock
) -> None:
    store.complete_visit(make_visit(clock))
    with CentralClient(central.base_url, "k1", "revoked") as bad:
        report = _worker(store, bad, clock).run_once()
    assert report.retried == 1 and "credential" in (report.error or "")
    assert store.backlog() == 1 and store.conflicts() == []


def test_tampered_document_is_not_uploaded_and_is_flagged(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    store.complete_visit(make_visit(clock, documents=2))
    victim = sorted((store.data_dir / "documents").iterdir())[0]
    blob = victim.read_bytes()
    victim.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    report = _worker(store, client, clock).run_once()
    assert report.uploaded == 1 and len(central.state.documents) == 1
    [conflict] = store.conflicts()
    assert conflict.event_type == "document_upload" and "tampered" in conflict.detail


def test_trust_list_cache_and_heartbeat(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    central.state.trust_keys = [{"kid": "k-2026", "alg": "Ed25519", "public_key": "AAAA"}]
    t = store.complete_visit(make_visit(clock))
    store.mark_printed(t.ticket_id, False, "paper_out")
    worker = _worker(
        store, client, clock, version="0.1.0",
        status_provider=lambda: {"printer": "paper_out", "camera": "ok"},
    )  # fmt: skip
    assert worker.refresh_trust_list()
    cached = load_trust_list(worker.trust_list_path)
    assert cached is not None and cached["keys"][0]["kid"] == "k-2026"
    assert worker.trust_list_path == store.data_dir / "trust-list.json"
    assert [p.name for p in store.data_dir.iterdir() if p.name.endswith(".tmp")] == []
    assert worker.send_heartbeat()
    [hb] = central.state.heartbeats
    assert hb == {
        "version": "0.1.0", "clock": clock.now().isoformat(), "backlog": 2,
        "printer": "paper_out", "camera": "ok", "tickets_not_printed": 1, "last_sync_error": None,
    }  # fmt: skip
    assert worker.clock_drift is not None
    assert set(json.loads(worker.trust_list_path.read_text())) == {"keys", "issued_at"}
    assert load_trust_list(store.data_dir / "missing.json") is None


def test_background_thread_drains_on_wake_and_stops_cleanly(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    worker = _worker(store, client, clock, poll_interval=30.0)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not central.state.heartbeats and time.monotonic() < deadline:
            time.sleep(0.01)  # first round: trust list + heartbeat
        store.complete_visit(make_visit(clock, documents=1))
        worker.wake()
        while (store.backlog() or central.state.documents == {}) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.backlog() == 0 and len(central.state.documents) == 1
        assert worker.running
    finally:
        worker.stop()
    assert not worker.running
    assert [t for t in threading.enumerate() if t.name == "kiosk-sync"] == []
    worker.stop()  # idempotent


def test_thread_survives_central_outage(
    store: KioskStore, central: FakeCentral, clock: FakeClock
) -> None:
    with CentralClient(central.base_url, "k1", "s3cret", timeout=1.0) as client:
        central.state.fail_next = 10**6
        store.complete_visit(make_visit(clock))
        worker = _worker(store, client, clock, base_delay=0.01, max_delay=0.05)
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while central.state.sync_requests < 3 and time.monotonic() < deadline:
                clock.advance(1)
                time.sleep(0.01)
            assert not worker.health().online
            central.state.fail_next = 0
            while (store.backlog() or not worker.health().online) and time.monotonic() < deadline:
                clock.advance(1)
                time.sleep(0.01)
            assert store.backlog() == 0 and worker.health().online
        finally:
            worker.stop()


def test_events_are_retried_until_answered(
    store: KioskStore, client: CentralClient, clock: FakeClock
) -> None:
    """A result list that misses an event leaves that event pending (never silently dropped)."""
    store.complete_visit(make_visit(clock))

    class Partial(CentralClient):
        def sync(self, events):  # type: ignore[no-untyped-def]
            return super().sync(events)[:0]

    partial = Partial(client.base_url, "k1", "s3cret")
    try:
        report = _worker(store, partial, clock).run_once()
    finally:
        partial.close()
    assert report.retried == 1 and store.backlog() == 1
    clock.advance(timedelta(hours=1).total_seconds())
    assert _worker(store, client, clock).run_once().acked == 1


def test_bisect_that_goes_offline_half_way_retries_the_rest(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    tickets = [store.complete_visit(make_visit(clock)) for _ in range(3)]
    store.mark_printed(tickets[0].ticket_id, True, "ok")
    central.state.reject_batch_with = "print_status"

    class GoesOffline(CentralClient):
        calls = 0

        def sync(self, events):  # type: ignore[no-untyped-def]
            type(self).calls += 1
            if type(self).calls == 2:  # the first half of the split batch
                central.state.fail_next = 1
            return super().sync(events)

    flaky = GoesOffline(client.base_url, "k1", "s3cret")
    try:
        report = _worker(store, flaky, clock).run_once()
    finally:
        flaky.close()
    assert report.error and report.retried == 4 and report.dead == 0
    assert store.due_events() == [] and store.backlog() == 4  # all wait for the backoff


def test_clock_stepped_back_does_not_strand_retries(
    store: KioskStore, client: CentralClient, central: FakeCentral, clock: FakeClock
) -> None:
    store.complete_visit(make_visit(clock))
    worker = _worker(store, client, clock, max_delay=60.0)
    [event] = store.due_events()
    store.mark_retry([event.event_id], "offline", clock.now() + timedelta(hours=5))
    clock.advance(-4 * 3600)  # NTP pulled the clock back; the old schedule is now absurd
    assert worker.run_once().acked == 1


def test_stop_is_prompt_when_the_central_hangs(tmp_path: Path, clock: FakeClock) -> None:
    """A central that accepts connections and never answers: stop() returns within about one
    client timeout, not one timeout per pending document."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.listen(64)
    try:
        port = listener.getsockname()[1]
        store = KioskStore.open(tmp_path / "d", kiosk_id="k1", agency_id="a", clock=clock)
        client = CentralClient(f"http://127.0.0.1:{port}", "k1", "x", timeout=0.5)
        try:
            for _ in range(3):
                store.complete_visit(make_visit(clock, documents=3))
            store.mark_acked([e.event_id for e in store.due_events()])  # uploads are next
            worker = _worker(store, client, clock, upload_concurrency=2, document_batch=9)
            t0 = time.monotonic()
            report = worker.run_once()
            assert report.error and "timed out" in report.error
            assert time.monotonic() - t0 < 2.0  # 2 in flight at most, then halted
            worker.start()
            time.sleep(0.1)
            t0 = time.monotonic()
            worker.stop()
            assert time.monotonic() - t0 < 2.0
        finally:
            client.close()
            store.close()
    finally:
        listener.close()
