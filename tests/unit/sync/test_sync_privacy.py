"""No personal data in logs or health: citizen refs, document bytes and credentials never appear
in any log record of a whole visit -> sync cycle, including failures."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit
from kiosk.sync import CentralClient, SyncWorker
from kiosk.sync.testing import FakeCentral


def test_logs_and_health_carry_no_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    visits = [make_visit(clock, documents=2, turn_id=f"turn-{i}") for i in range(3)]
    with (
        FakeCentral({"k1": "very-secret-credential"}) as central,
        CentralClient(central.base_url, "k1", "very-secret-credential") as client,
    ):
        store = KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock)
        try:
            worker = SyncWorker(store, client, clock, rng=random.Random(0))
            for v in visits:
                store.complete_visit(v)
            central.state.fail_next = 1
            worker.run_once()
            clock.advance(3600)
            worker.run_once()
            worker.send_heartbeat()
            health = repr(worker.health())
        finally:
            store.close()
    text = "\n".join(r.getMessage() for r in caplog.records) + health
    assert "ticket" in text  # something was logged
    for v in visits:
        assert v.citizen_ref not in text
        for d in v.documents:
            assert d.sha256 not in text
            assert repr(d.data[:16])[2:-1] not in text
    assert "very-secret-credential" not in text
