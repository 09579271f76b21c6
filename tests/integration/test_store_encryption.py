"""Documents at rest: encrypted on disk, bound to their id, tamper-evident, key outside the DB."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store import DocumentUnreadableError, KioskStore
from kiosk.store.testing import FakeClock, make_visit


def _one_doc(tmp_path: Path, **kw: object) -> tuple[KioskStore, str, bytes, Path]:
    clock = FakeClock()
    store = KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock, **kw)  # type: ignore[arg-type]
    visit = make_visit(clock, documents=1)
    store.complete_visit(visit)
    [event] = store.due_events()
    doc_id = event.payload["documents"][0]["document_id"]
    return store, doc_id, visit.documents[0].data, tmp_path / "documents" / f"{doc_id}.kcd"


def test_file_on_disk_holds_no_plaintext(tmp_path: Path) -> None:
    store, doc_id, plain, path = _one_doc(tmp_path)
    with store:
        blob = path.read_bytes()
        assert b"JFIF" not in blob and b"\xff\xd8\xff" not in blob
        assert plain[100:132] not in blob
        for f in tmp_path.rglob("*"):  # nor in the database, WAL or anywhere else
            if f.is_file():
                assert plain[100:132] not in f.read_bytes(), f
        assert store.read_document(doc_id) == plain


def test_tampered_file_raises(tmp_path: Path) -> None:
    store, doc_id, _, path = _one_doc(tmp_path)
    with store:
        blob = bytearray(path.read_bytes())
        blob[40] ^= 0x01
        path.write_bytes(bytes(blob))
        with pytest.raises(DocumentUnreadableError, match="tampered"):
            store.read_document(doc_id)
        path.write_bytes(b"garbage")
        with pytest.raises(DocumentUnreadableError, match="not an encrypted"):
            store.read_document(doc_id)


def test_file_swapped_onto_another_id_raises(tmp_path: Path) -> None:
    clock = FakeClock()
    with KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=clock) as store:
        store.complete_visit(make_visit(clock, documents=2))
        [event] = store.due_events()
        a, b = (d["document_id"] for d in event.payload["documents"])
        docs = tmp_path / "documents"
        (docs / f"{a}.kcd").write_bytes((docs / f"{b}.kcd").read_bytes())
        with pytest.raises(DocumentUnreadableError):
            store.read_document(a)  # associated data = document id


def test_wrong_key_raises(tmp_path: Path) -> None:
    store, doc_id, _, _ = _one_doc(tmp_path)
    store.close()
    key = tmp_path / "keys" / "documents.key"
    key.write_bytes(bytes(32))
    again = KioskStore.open(tmp_path, kiosk_id="k1", agency_id="a", clock=FakeClock())
    with again, pytest.raises(DocumentUnreadableError, match="wrong key"):
        again.read_document(doc_id)
