"""Property: whatever the network does to the sync protocol — requests lost, replies lost after
the central applied them, batches delivered twice, stale batches replayed, partial replies,
5xx, kiosk restarts in between — once the faults stop, the outbox drains and the central holds
every kiosk event exactly once, with the kiosk's ticket numbers and final print states.

Runs against the real central service (one subprocess for the module, one fresh kiosk per
example) and the real kiosk store; faults are injected at the client boundary."""

from __future__ import annotations

import os
import random
import secrets
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from central_helpers import CentralServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit
from kiosk.sync import CentralAuthError, CentralClient, CentralUnavailable, EventResult, SyncWorker
from kiosk.sync.testing import central_db_view

AGENCY = "cau-quito-norte"
SYNC_FAULTS = ["ok", "lose_request", "lose_reply", "twice", "partial", "replay", "http_503"]
UPLOAD_FAULTS = ["ok", "lose_request", "lose_reply"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def central() -> Iterator[CentralServer]:
    with tempfile.TemporaryDirectory(prefix="central-prop-") as tmp:
        server = CentralServer(Path(tmp), admin_token="admin" + secrets.token_hex(12))
        try:
            yield server.start()
        finally:
            server.stop()


class FaultyClient(CentralClient):
    """The real client, with a scripted fault for each sync / upload call."""

    def __init__(self, *args: Any, sync_plan: list[str], upload_plan: list[str], **kw: Any):
        super().__init__(*args, **kw)
        self.sync_plan, self.upload_plan = sync_plan, upload_plan
        self.history: list[list[dict[str, Any]]] = []
        self.rng = random.Random(0)

    def sync(self, events: Sequence[Mapping[str, Any]]) -> list[EventResult]:
        fault = self.sync_plan.pop(0) if self.sync_plan else "ok"
        batch = [dict(e) for e in events]
        if fault in ("lose_request", "http_503"):
            raise CentralUnavailable(f"injected: {fault}")
        if fault == "replay" and self.history:  # a stale retransmission arrives first
            super().sync(self.rng.choice(self.history))
        self.history.append(batch)
        results = super().sync(batch)
        if fault == "lose_reply":
            raise CentralUnavailable("injected: reply lost after the central applied the batch")
        if fault == "twice":
            results = super().sync(batch)  # the network delivered it twice
        if fault == "partial":
            results = results[: len(results) // 2]
        return results

    def upload_document(self, *args: Any, **kw: Any) -> bool:
        fault = self.upload_plan.pop(0) if self.upload_plan else "ok"
        if fault == "lose_request":
            raise CentralUnavailable("injected: upload lost")
        stored = super().upload_document(*args, **kw)
        if fault == "lose_reply":
            raise CentralUnavailable("injected: upload reply lost")
        return stored


def _enrol(central: CentralServer) -> tuple[str, str]:
    kiosk_id, credential = central.enrol("kp-" + secrets.token_hex(6), AGENCY)
    with CentralClient(central.base_url, kiosk_id, credential) as client:
        for _ in range(100):  # the enrol reply can precede its commit (see test_sync_faults)
            try:
                client.trust_list()
                return kiosk_id, credential
            except CentralAuthError:
                time.sleep(0.02)
    raise AssertionError("enrolment never became effective")


step = st.one_of(
    st.tuples(st.just("visit"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("print"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("drain"), st.sampled_from(SYNC_FAULTS), st.sampled_from(UPLOAD_FAULTS)),
    st.tuples(st.just("restart")),
    st.tuples(st.just("wait"), st.integers(0, 400)),
)


@settings(
    # CI default keeps the suite fast; KIOSK_SYNC_PROPERTY_EXAMPLES=500 for a deeper search
    max_examples=int(os.environ.get("KIOSK_SYNC_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
)
@given(steps=st.lists(step, min_size=1, max_size=14), batch_size=st.integers(1, 4))
# known-nasty interleavings, always run: a print status created while its ticket is backing off
# must not overtake it; a reply lost and a restart; partial reply then a stale replay; two print
# statuses of one ticket in one batch (found by this test: the central applies a batch set-wise)
@example(
    steps=[("visit", 0, False), ("visit", 0, False), ("print", 0, False), ("print", 0, True)],
    batch_size=2,
)  # fmt: skip
@example(
    steps=[("visit", 1, True), ("drain", "lose_request", "ok"), ("print", 0, True),
           ("drain", "ok", "ok")],
    batch_size=2,
)  # fmt: skip
@example(
    steps=[("visit", 1, False), ("drain", "lose_reply", "lose_reply"), ("restart",),
           ("drain", "twice", "ok"), ("drain", "ok", "lose_request")],
    batch_size=1,
)  # fmt: skip
@example(
    steps=[("visit", 0, True), ("visit", 2, False), ("print", 1, False),
           ("drain", "partial", "ok"), ("drain", "replay", "lose_request"), ("restart",)],
    batch_size=3,
)  # fmt: skip
def test_any_interleaving_of_faults_converges_to_exactly_once(
    central: CentralServer, steps: list[tuple[Any, ...]], batch_size: int
) -> None:
    kiosk_id, credential = _enrol(central)
    clock = FakeClock()
    sync_plan: list[str] = []
    upload_plan: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-prop-") as tmp:
        data_dir = Path(tmp)

        def open_store() -> KioskStore:
            return KioskStore.open(data_dir, kiosk_id=kiosk_id, agency_id=AGENCY, clock=clock)

        store = open_store()
        client = FaultyClient(
            central.base_url, kiosk_id, credential, sync_plan=sync_plan, upload_plan=upload_plan
        )

        def new_worker() -> SyncWorker:
            return SyncWorker(
                store, client, clock, batch_size=batch_size, base_delay=1.0, max_delay=60.0,
                rng=random.Random(0), document_batch=2, upload_concurrency=1,
            )  # fmt: skip

        worker = new_worker()
        tickets: list[str] = []
        printed: dict[str, bool] = {}
        try:
            for s in steps:
                if s[0] == "visit":
                    _, docs, appointment = s
                    turn = f"{kiosk_id}-{len(tickets)}" if appointment else None
                    visit = make_visit(
                        clock, kiosk_id=kiosk_id, agency_id=AGENCY, documents=docs,
                        kind="appointment" if appointment else "walk_in", turn_id=turn,
                    )  # fmt: skip
                    tickets.append(store.complete_visit(visit).ticket_id)
                elif s[0] == "print" and tickets:
                    ticket = tickets[s[1] % len(tickets)]
                    store.mark_printed(ticket, s[2], "test")
                    printed[ticket] = s[2]
                elif s[0] == "drain":
                    sync_plan.append(s[1])
                    upload_plan.append(s[2])
                    worker.run_once()
                elif s[0] == "restart":  # the kiosk process restarts: only the disk survives
                    store.close()
                    store = open_store()
                    worker = new_worker()
                elif s[0] == "wait":
                    clock.advance(s[1])
            # the network heals: everything drains by itself
            sync_plan.clear()
            upload_plan.clear()
            for _ in range(200):
                if store.backlog() == 0 and not store.pending_documents():
                    break
                clock.advance(61)
                worker.run_once()

            states = store.event_states()
            assert set(states.values()) <= {"acked"}, states
            assert store.conflicts() == []
            view = central_db_view(str(central.workdir / "central.db"), kiosk_id)
            assert len(view["event_ids"]) == len(set(view["event_ids"]))
            assert sorted(view["event_ids"]) == sorted(states)
            assert set(view["tickets"]) == set(tickets)
            for ticket_id in tickets:
                mine = store.get_ticket(ticket_id)
                assert mine is not None and not mine.pending_sync
                number, central_printed = view["tickets"][ticket_id]
                assert number == mine.number
                assert central_printed == printed.get(ticket_id)
            assert all(uploaded for _sha, uploaded in view["documents"].values())
        finally:
            client.close()
            store.close()
