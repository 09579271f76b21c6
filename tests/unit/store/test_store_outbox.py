"""KioskStore outbox, documents lifecycle, conflicts, audit, settings and integrity."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.store import DocumentUnreadableError, KioskStore, StoreError
from kiosk.store.testing import FakeClock, make_visit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> KioskStore:
    s = KioskStore.open(tmp_path / "data", kiosk_id="k1", agency_id="a", clock=clock)
    yield s
    s.close()


def test_retry_backoff_is_persisted_and_order_kept_per_ticket(
    store: KioskStore, clock: FakeClock
) -> None:
    t1 = store.complete_visit(make_visit(clock))
    [e1] = store.due_events()
    store.mark_retry([e1.event_id], "central unavailable", clock.now() + timedelta(seconds=30))
    store.complete_visit(make_visit(clock))
    store.mark_printed(t1.ticket_id, True)
    # the print_status of t1 must not overtake t1's ticket_issued; t2 is free to go
    due = store.due_events()
    assert [e.type for e in due] == ["ticket_issued"] and due[0].payload["number"] == "G-101"
    assert store.next_due_at() == clock.now()
    clock.advance(30)
    due = store.due_events()
    assert [(e.type, e.attempts) for e in due] == [
        ("ticket_issued", 1), ("ticket_issued", 0), ("print_status", 0),
    ]  # fmt: skip
    assert store.backlog() == 3
    assert len(store.due_events(limit=2)) == 2


def test_ack_dead_and_conflicts(store: KioskStore, clock: FakeClock) -> None:
    tickets = [store.complete_visit(make_visit(clock)) for _ in range(3)]
    e1, e2, e3 = store.due_events()
    store.mark_acked([e1.event_id])
    store.mark_acked([e2.event_id], status="conflict")
    store.record_conflict(e2.event_id, "turn already checked in at kiosk k2")
    store.record_conflict(e2.event_id, "turn already checked in at kiosk k2")  # idempotent
    store.mark_dead(e3.event_id, "unknown tramite")
    assert store.backlog() == 0 and store.due_events() == []
    states = store.event_states()
    assert states == {e1.event_id: "acked", e2.event_id: "acked", e3.event_id: "dead"}
    summary = store.outbox_summary()
    assert (summary.pending, summary.acked, summary.dead) == (0, 2, 1)
    conflicts = store.conflicts()
    assert [(c.event_id, c.ticket_id) for c in conflicts] == [
        (e2.event_id, tickets[1].ticket_id),
        (e3.event_id, tickets[2].ticket_id),
    ]
    assert "rejected: unknown tramite" in conflicts[1].detail
    store.resolve_conflict(conflicts[0].id, actor="tech-01")
    assert len(store.conflicts()) == 1 and len(store.conflicts(include_resolved=True)) == 2
    assert store.audit_entries()[0].action == "resolve_conflict"
    # acked tickets are no longer pending sync
    got = store.get_ticket(tickets[0].ticket_id)
    assert got is not None and not got.pending_sync
    assert store.get_ticket(tickets[2].ticket_id).pending_sync  # type: ignore[union-attr]


def test_documents_upload_after_ticket_then_purge(store: KioskStore, clock: FakeClock) -> None:
    store.complete_visit(make_visit(clock, documents=2))
    assert store.pending_documents() == []  # the central does not know the ticket yet
    [event] = store.due_events()
    store.mark_acked([event.event_id])
    docs = store.pending_documents()
    assert len(docs) == 2 and "cedula" not in repr(docs[0])
    store.mark_document_uploaded(docs[0].document_id)
    store.mark_document_failed(docs[1].document_id, "checksum mismatch at central")
    assert store.pending_documents() == []
    assert store.conflicts()[0].event_type == "document_upload"
    assert store.purge_documents() == 1  # only the confirmed one
    with pytest.raises(StoreError, match="purged"):
        store.read_document(docs[0].document_id)
    assert store.read_document(docs[1].document_id)
    assert store.integrity_check() == "ok"
    clock.advance(7 * 24 * 3600)
    assert store.purge_documents() == 1  # retention limit, uploaded or not
    assert list((store.data_dir / "documents").iterdir()) == []


def test_integrity_check_reports_missing_and_extra_files(
    store: KioskStore, clock: FakeClock
) -> None:
    store.complete_visit(make_visit(clock, documents=2))
    assert store.integrity_check() == "ok"
    victim = next((store.data_dir / "documents").iterdir())
    victim.unlink()
    (store.data_dir / "documents" / "stray.kcd").write_bytes(b"x")
    report = store.integrity_check()
    assert "1 document file(s) missing" in report and "1 unreferenced" in report
    doc_id = victim.name.removesuffix(".kcd")
    with pytest.raises(DocumentUnreadableError, match="missing"):
        store.read_document(doc_id)


def test_orphan_files_from_interrupted_visits_are_removed_on_open(
    tmp_path: Path, clock: FakeClock
) -> None:
    KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock).close()
    docs = tmp_path / "documents"
    (docs / "deadbeef.kcd").write_bytes(b"KCD1" + b"\0" * 40)
    (docs / ".x.kcd.1234.tmp").write_bytes(b"torn")
    (docs / "inflight.kcd").write_bytes(b"another process is about to commit this one")
    old = time.time() - 3600
    for name in ("deadbeef.kcd", ".x.kcd.1234.tmp"):
        os.utime(docs / name, (old, old))
    with KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock) as store:
        assert [p.name for p in docs.iterdir()] == ["inflight.kcd"]
        assert "1 unreferenced" in store.integrity_check()


def test_audit_and_settings(store: KioskStore, clock: FakeClock) -> None:
    store.audit("staff-7", "set_idle_timeout", {"seconds": 90})
    clock.advance(1)
    store.audit("staff-7", "enrol", "central=https://central.example")
    entries = store.audit_entries()
    assert [e.action for e in entries] == ["enrol", "set_idle_timeout"]
    assert entries[1].detail == '{"seconds": 90}'
    assert store.get_setting("idle", 60) == 60
    store.set_setting("idle", {"seconds": 90})
    store.set_setting("idle", {"seconds": 120})
    assert store.get_setting("idle") == {"seconds": 120}


def test_one_event_per_type_and_ticket_in_a_batch(store: KioskStore, clock: FakeClock) -> None:
    """The central applies a batch set-wise, so a later print status of the same ticket waits
    for the next batch instead of racing the earlier one."""
    t1 = store.complete_visit(make_visit(clock))
    t2 = store.complete_visit(make_visit(clock))
    store.mark_printed(t1.ticket_id, False, "paper_out")
    store.mark_printed(t1.ticket_id, True, "reprinted")
    store.mark_printed(t2.ticket_id, True, "ok")
    first = store.due_events()
    assert [(e.type, e.payload.get("printed")) for e in first] == [
        ("ticket_issued", None), ("ticket_issued", None), ("print_status", False),
        ("print_status", True),
    ]  # fmt: skip
    assert first[3].payload["ticket_id"] == t2.ticket_id
    store.mark_acked([e.event_id for e in first])
    [second] = store.due_events()
    assert second.payload == {"ticket_id": t1.ticket_id, "printed": True, "detail": "reprinted"}


def test_pending_events_lists_everything_for_export(store: KioskStore, clock: FakeClock) -> None:
    t = store.complete_visit(make_visit(clock))
    store.mark_printed(t.ticket_id, False, "paper_out")
    store.mark_printed(t.ticket_id, True, "reprinted")
    first = store.due_events()
    assert [e.type for e in first] == ["ticket_issued", "print_status"]
    store.mark_retry([first[0].event_id], "offline", clock.now() + timedelta(hours=1))
    assert store.due_events() == []  # the print statuses wait for their ticket
    assert [e.type for e in store.pending_events()] == [
        "ticket_issued", "print_status", "print_status",
    ]  # fmt: skip


def test_large_backlog_is_batched(store: KioskStore, clock: FakeClock) -> None:
    for _ in range(600):
        store.complete_visit(make_visit(clock, documents=0))
    assert len(store.due_events(limit=500)) == 500
    store.mark_acked([e.event_id for e in store.due_events(limit=10_000)])  # > 500 ids at once
    assert store.backlog() == 0


def test_prune_records_forgets_citizen_data_after_retention(
    store: KioskStore, clock: FakeClock
) -> None:
    synced = store.complete_visit(make_visit(clock, turn_id="turn-1"))
    unsynced = store.complete_visit(make_visit(clock))
    first, _second = store.due_events()
    store.mark_acked([first.event_id])
    assert store.prune_records() == 0  # nothing is old yet
    clock.advance(8 * 24 * 3600)
    assert store.prune_records() == 3  # visit ref, acked event, turn ledger entry
    assert not store.is_turn_used("turn-1")
    assert store.backlog() == 1  # the unsynced visit keeps everything until the central has it
    [pending] = store.due_events()
    assert pending.payload["ticket_id"] == unsynced.ticket_id and pending.payload["citizen_ref"]
    assert store.get_ticket(synced.ticket_id) is not None  # numbers stay for statistics
    with store._require_open().begin() as s:
        refs = s.execute(text("SELECT citizen_ref FROM visits ORDER BY completed_at")).scalars()
        assert [bool(r) for r in refs] == [False, True]
