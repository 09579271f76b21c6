"""KioskStore: visits, tickets, turn ledger, printing, outbox payloads (real SQLite in tmp dirs)."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from kiosk.domain.ports import VisitStore
from kiosk.domain.records import CapturedDocument
from kiosk.store import KioskStore, StoreError, TurnAlreadyUsed, UnknownTicketError
from kiosk.store.models import Base
from kiosk.store.testing import FakeClock, make_visit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> KioskStore:
    s = KioskStore.open(tmp_path / "data", kiosk_id="k1", agency_id="cau-quito-norte", clock=clock)
    yield s
    s.close()


def test_open_creates_layout_key_and_durable_sqlite(tmp_path: Path, clock: FakeClock) -> None:
    data = tmp_path / "a" / "b"
    with KioskStore.open(data, kiosk_id="k1", agency_id="x", clock=clock) as store:
        port: VisitStore = store  # static check that the protocol is implemented
        assert port is store
        key = data / "keys" / "documents.key"
        assert key.stat().st_size == 32
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert (data / "documents").is_dir()
        with store._require_open().begin() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    # reopening keeps the same key and migrates nothing twice
    before = key.read_bytes()
    KioskStore.open(data, kiosk_id="k1", agency_id="x", clock=clock).close()
    assert key.read_bytes() == before


def test_migrations_match_models(store: KioskStore) -> None:
    engine = create_engine(f"sqlite:///{store.db_path}")
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # UTCDateTime is stored as DateTime; anything else would be drift
    assert [d for d in diffs if d[0] != "modify_type"] == []


def test_ticket_numbers_follow_the_block_per_day_and_letter(tmp_path: Path) -> None:
    clock = FakeClock()
    with KioskStore.open(
        tmp_path, kiosk_id="k1", agency_id="a", clock=clock, ticket_block=(100, 3)
    ) as store:
        numbers = [store.complete_visit(make_visit(clock)).number for _ in range(4)]
        assert numbers == ["G-100", "G-101", "G-102", "G-100"]  # cycles inside the block
        assert store.complete_visit(make_visit(clock, letter="T")).number == "T-100"
        clock.advance(24 * 3600)
        assert store.complete_visit(make_visit(clock)).number == "G-100"  # new day
        assert store.tickets_issued() == 1


def test_complete_visit_is_idempotent_on_visit_id(store: KioskStore, clock: FakeClock) -> None:
    visit = make_visit(clock, documents=2)
    first = store.complete_visit(visit)
    again = store.complete_visit(visit)
    assert again.ticket_id == first.ticket_id and again.number == first.number
    assert store.backlog() == 1
    assert len(list((store.data_dir / "documents").iterdir())) == 2
    assert store.complete_visit(make_visit(clock)).number == "G-101"


def test_ticket_issued_payload_matches_the_contract(store: KioskStore, clock: FakeClock) -> None:
    visit = make_visit(clock, kind="appointment", turn_id="turn-1", documents=2, priority=True)
    ticket = store.complete_visit(visit)
    assert ticket.pending_sync and ticket.issued_at == visit.completed_at
    [event] = store.due_events(10, clock.now())
    wire = event.to_wire()
    assert set(wire) == {"event_id", "type", "occurred_at", "payload"}
    assert wire["type"] == "ticket_issued"
    assert wire["occurred_at"] == visit.completed_at.isoformat()
    p = wire["payload"]
    assert set(p) == {
        "ticket_id", "number", "agency_id", "kiosk_id", "tramite_id", "kind", "turn_id",
        "slot_start", "priority", "citizen_ref", "issued_at", "documents",
    }  # fmt: skip
    assert p["ticket_id"] == ticket.ticket_id and p["number"] == ticket.number
    assert p["kind"] == "appointment" and p["turn_id"] == "turn-1" and p["priority"] is True
    assert p["slot_start"] == visit.slot_start.isoformat()  # type: ignore[union-attr]
    assert p["citizen_ref"] == visit.citizen_ref
    assert [d["requirement_id"] for d in p["documents"]] == ["req-0", "req-1"]
    for meta, doc in zip(p["documents"], visit.documents, strict=True):
        assert set(meta) == {"document_id", "requirement_id", "sha256", "size", "content_type"}
        assert meta["sha256"] == doc.sha256 and meta["size"] == len(doc.data)
        assert store.read_document(meta["document_id"]) == doc.data


def test_walk_in_payload_has_null_turn(store: KioskStore, clock: FakeClock) -> None:
    store.complete_visit(make_visit(clock, documents=0))
    [event] = store.due_events()
    assert event.payload["turn_id"] is None and event.payload["slot_start"] is None
    assert event.payload["documents"] == []


def test_turn_ledger_is_single_use(store: KioskStore, clock: FakeClock) -> None:
    assert not store.is_turn_used("turn-9")
    store.complete_visit(make_visit(clock, turn_id="turn-9"))
    assert store.is_turn_used("turn-9")
    with pytest.raises(TurnAlreadyUsed, match="turn-9"):
        store.complete_visit(make_visit(clock, turn_id="turn-9", documents=3))
    # the refused visit left nothing behind: no files, no ticket, no event
    assert len(list((store.data_dir / "documents").iterdir())) == 1
    assert store.backlog() == 1
    assert store.tickets_issued() == 1


def test_document_checksum_is_verified(store: KioskStore, clock: FakeClock) -> None:
    visit = make_visit(clock)
    bad = CapturedDocument("x", "image/jpeg", b"\xff\xd8abc", hashlib.sha256(b"other").hexdigest())
    with pytest.raises(ValueError, match="sha256"):
        store.complete_visit(
            type(visit)(**{**visit.__dict__, "documents": (bad,)})  # dataclass copy
        )
    assert store.backlog() == 0


def test_mark_printed_queues_print_status(store: KioskStore, clock: FakeClock) -> None:
    t1 = store.complete_visit(make_visit(clock))
    t2 = store.complete_visit(make_visit(clock))
    assert [t.ticket_id for t in store.tickets_not_printed()] == [t1.ticket_id, t2.ticket_id]
    store.mark_printed(t1.ticket_id, True, "cups job 12")
    store.mark_printed(t2.ticket_id, False, "paper_out")
    assert [t.ticket_id for t in store.tickets_not_printed()] == [t2.ticket_id]
    got = store.get_ticket(t2.ticket_id)
    assert got is not None and got.printed is False and got.print_detail == "paper_out"
    assert got.as_issued() == t2
    events = store.due_events()
    assert [e.type for e in events] == [
        "ticket_issued", "ticket_issued", "print_status", "print_status",
    ]  # fmt: skip
    assert events[3].payload == {"ticket_id": t2.ticket_id, "printed": False, "detail": "paper_out"}
    assert store.get_ticket("nope") is None
    with pytest.raises(UnknownTicketError):
        store.mark_printed("nope", True)


def test_closed_store_refuses_work(tmp_path: Path, clock: FakeClock) -> None:
    store = KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.backlog()


def test_visits_at_retention_edge(tmp_path: Path, clock: FakeClock) -> None:
    with KioskStore.open(
        tmp_path, kiosk_id="k1", agency_id="a", clock=clock, retention=timedelta(hours=1)
    ) as store:
        store.complete_visit(make_visit(clock))
        clock.advance(3599)
        assert store.purge_documents() == 0
        clock.advance(1)
        assert store.purge_documents() == 1
        assert list((tmp_path / "documents").iterdir()) == []


def test_migrations_downgrade_and_upgrade(store: KioskStore) -> None:
    from alembic import command

    from kiosk.store.db import alembic_config

    engine = store._require_open().kw["bind"]
    for target in ("base", "head"):
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            (command.downgrade if target == "base" else command.upgrade)(cfg, target)
    assert store.backlog() == 0


def test_key_file_permissions_are_tightened(tmp_path: Path, clock: FakeClock) -> None:
    KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock).close()
    key = tmp_path / "keys" / "documents.key"
    key.chmod(0o644)
    KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock).close()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
