"""Two kiosks of one agency, offline, with different number blocks never issue the same number;
concurrent threads on one kiosk never issue the same number twice."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit


def test_two_kiosks_blocks_never_collide_even_when_cycling(tmp_path: Path) -> None:
    clock = FakeClock()
    a = KioskStore.open(tmp_path / "a", kiosk_id="k1", agency_id="x", clock=clock,
                        ticket_block=(100, 100))  # fmt: skip
    b = KioskStore.open(tmp_path / "b", kiosk_id="k2", agency_id="x", clock=clock,
                        ticket_block=(200, 100))  # fmt: skip
    try:
        issued: dict[str, set[str]] = {"a": set(), "b": set()}
        for i in range(130):  # past the block size: numbers cycle inside each block
            letter = "GT"[i % 2]
            issued["a"].add(a.complete_visit(make_visit(clock, letter=letter, documents=0)).number)
            issued["b"].add(b.complete_visit(make_visit(clock, letter=letter, documents=0)).number)
        assert issued["a"].isdisjoint(issued["b"])
        assert all(100 <= int(n[2:]) < 200 for n in issued["a"])
        assert all(200 <= int(n[2:]) < 300 for n in issued["b"])
    finally:
        a.close()
        b.close()


def test_concurrent_visits_get_distinct_numbers(tmp_path: Path) -> None:
    clock = FakeClock()
    store = KioskStore.open(tmp_path, kiosk_id="k1", agency_id="x", clock=clock)
    numbers: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                n = store.complete_visit(make_visit(clock, documents=1)).number
                with lock:
                    numbers.append(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store.close()
    assert not errors
    assert len(numbers) == 60 and len(set(numbers)) == 60
