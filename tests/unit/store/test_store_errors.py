"""Bad input at open: unwritable data dir, corrupt database, corrupt key file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store import KioskStore, StoreError
from kiosk.store.testing import FakeClock


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=str(blocker / "data")):
        KioskStore.open(blocker / "data", kiosk_id="k1", agency_id="a", clock=FakeClock())


def test_corrupt_database_file(tmp_path: Path) -> None:
    (tmp_path / "kiosk.sqlite3").write_bytes(b"this is certainly not sqlite" * 100)
    with pytest.raises(StoreError, match=r"kiosk\.sqlite3.*corrupt"):
        KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=FakeClock())


def test_corrupt_key_file(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "documents.key").write_bytes(b"short")
    with pytest.raises(StoreError, match=r"documents\.key.*corrupt"):
        KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=FakeClock())


def test_key_path_can_live_elsewhere(tmp_path: Path) -> None:
    key = tmp_path / "secure" / "k.bin"
    KioskStore.open(
        tmp_path / "data", kiosk_id="k1", agency_id="a", clock=FakeClock(), key_path=key
    ).close()
    assert key.stat().st_size == 32
    assert not (tmp_path / "data" / "keys").exists()


def test_bad_ticket_block(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ticket_block"):
        KioskStore.open(
            tmp_path, kiosk_id="k", agency_id="a", clock=FakeClock(), ticket_block=(1, 0)
        )


def test_purge_also_sweeps_files_left_by_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    from kiosk.store import KioskStore
    from kiosk.store.testing import FakeClock, make_visit

    clock = FakeClock()
    with KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock) as store:
        store.complete_visit(make_visit(clock, documents=1))
        folder = next(
            p.parent
            for p in tmp_path.rglob("*")
            if p.is_file() and p.parent.name != tmp_path.name and "documents" in str(p.parent)
        )
        stray, fresh = folder / "crashed-mid-purge", folder / "being-written-now"
        stray.write_bytes(b"encrypted bytes nobody refers to")
        fresh.write_bytes(b"another process is about to commit its row")
        old = time.time() - 3600
        os.utime(stray, (old, old))
        store.purge_documents()
        assert not stray.exists()  # personal data with no row: gone at the next purge
        assert fresh.exists()  # too recent to judge: left for a later sweep
        assert len([p for p in folder.iterdir() if p.is_file()]) == 2  # the visit's file + fresh
