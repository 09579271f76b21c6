"""Diagnostics, self-test and the offline outbox bundle, against a real KioskStore on disk."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk import diagnostics
from kiosk.config import KioskSettings
from kiosk.diagnostics import (
    BundleError,
    BundleTampered,
    CameraReading,
    Check,
    Status,
    WrongPassphrase,
    collect,
    export_outbox,
    read_bundle,
    self_test,
)
from kiosk.domain.ports import PrinterState, PrinterStatus, PrintResult, Receipt, SyncHealth
from kiosk.i18n import Translator
from kiosk.printing import SpoolPrinter
from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, fake_jpeg, make_visit

PASSPHRASE = "ABCD-EFGH-JKLM-NPQR"


@dataclass
class Services:
    """The attributes of AppServices the diagnostics use."""

    settings: KioskSettings
    store: KioskStore
    printer: Any
    data_dir: Path
    clock: FakeClock
    sync: Any = None
    trust_path: Path = field(default_factory=lambda: Path("/nonexistent/trust.json"))


class FakeSync:
    def __init__(
        self,
        *,
        online: bool = True,
        drift: float | None = None,
        reachable: bool = True,
        backlog: int = 0,
    ) -> None:
        self.online, self.clock_drift = online, drift
        self.reachable, self.backlog = reachable, backlog
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.woken = 0

    def health(self) -> SyncHealth:
        return SyncHealth(self.online, self.backlog, self.last_success, self.last_error)

    def send_heartbeat(self) -> bool:
        if not self.reachable:
            self.last_error = "central unavailable: connection refused"
        return self.reachable

    def wake(self) -> None:
        self.woken += 1


class StuckPrinter:
    name = "fake:stuck"

    def __init__(self, state: PrinterState = PrinterState.PAPER_OUT) -> None:
        self.state = state

    def status(self) -> PrinterStatus:
        return PrinterStatus(self.state, "roll empty")

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        return PrintResult(False, self.status(), error="paper out")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    data = tmp_path / "data"
    store = KioskStore.open(data, kiosk_id="kiosk-07", agency_id="CAU-QUITO", clock=clock)
    settings = KioskSettings(kiosk_id="kiosk-07", agency_id="CAU-QUITO")
    svc = Services(
        settings=settings,
        store=store,
        printer=SpoolPrinter(data / "spool"),
        data_dir=data,
        clock=clock,
        trust_path=data / "trust-list.json",
    )
    yield svc
    store.close()


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


# ---------------------------------------------------------------- collect


def test_collect_on_a_fresh_kiosk(services: Services) -> None:
    checks = collect(services)
    assert [c.id for c in checks] == [
        "camera",
        "printer",
        "database",
        "disk",
        "clock",
        "sync_backlog",
        "sync_last_success",
        "sync_last_error",
        "not_printed",
        "conflicts",
        "logs",
    ]
    c = by_id(checks)
    assert c["camera"].status is Status.SKIP  # nobody measured it
    assert c["printer"].status is Status.OK and c["printer"].value == "Lista"
    assert c["database"].status is Status.OK
    assert c["disk"].status in (Status.OK, Status.WARN, Status.FAIL)
    assert c["disk"].value.endswith("libres")
    assert c["clock"].status is Status.SKIP  # no central time to compare with
    assert c["sync_backlog"].status is Status.OK and c["sync_backlog"].value == "0 pendientes"
    assert c["sync_last_success"].status is Status.WARN  # no central configured
    assert c["not_printed"].status is Status.OK and c["conflicts"].status is Status.OK
    tr = Translator("es")
    assert all(tr.has(check.label_key) for check in checks)


def test_collect_reports_backlog_unprinted_tickets_and_conflicts(
    services: Services, clock: FakeClock
) -> None:
    store = services.store
    t1 = store.complete_visit(make_visit(clock, kiosk_id="kiosk-07"))
    store.complete_visit(make_visit(clock, kiosk_id="kiosk-07"))
    store.mark_printed(t1.ticket_id, True)
    [first, *_] = store.due_events()
    store.record_conflict(first.event_id, "turn already checked in at kiosk-02")
    c = by_id(collect(services))
    assert c["sync_backlog"].value == "3 pendientes"  # 2 tickets + 1 print status
    assert c["sync_backlog"].status is Status.WARN  # pending and offline
    assert c["not_printed"].status is Status.WARN and c["not_printed"].value == "1"
    assert c["not_printed"].detail == "G-101"
    assert c["conflicts"].status is Status.WARN and "kiosk-02" in c["conflicts"].detail
    clock.advance(25 * 3600)  # a day without sync: data at risk of the retention purge
    assert by_id(collect(services))["sync_backlog"].status is Status.FAIL


@pytest.mark.parametrize(
    ("fps", "ok", "expected"),
    [
        (29.7, True, Status.OK),
        (12.0, True, Status.WARN),
        (3.0, True, Status.FAIL),
        (None, False, Status.FAIL),
    ],
)
def test_camera_reading(services: Services, fps: float | None, ok: bool, expected: Status) -> None:
    check = by_id(collect(services, CameraReading(fps, ok, "USB cam")))["camera"]
    assert check.status is expected


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        (2.0, Status.OK),
        (-45.0, Status.WARN),
        (400.0, Status.FAIL),
    ],
)
def test_clock_drift_from_the_last_heartbeat(
    services: Services, drift: float, expected: Status
) -> None:
    services.sync = FakeSync(drift=drift)
    check = by_id(collect(services))["clock"]
    assert check.status is expected
    assert f"{drift:+.0f}" in check.value


def test_sync_health_readings(services: Services, clock: FakeClock) -> None:
    sync = FakeSync(online=False, backlog=4)
    sync.last_success = clock.now() - timedelta(minutes=5)
    sync.last_error = "central unavailable: timeout"
    services.sync = sync
    c = by_id(collect(services))
    assert c["sync_last_success"].status is Status.OK
    assert c["sync_last_success"].value == (clock.now() - timedelta(minutes=5)).strftime("%H:%M:%S")
    assert c["sync_last_success"].detail == "Sin conexión"
    assert c["sync_last_error"].status is Status.WARN
    assert c["sync_last_error"].detail == "central unavailable: timeout"


def test_printer_problems(services: Services) -> None:
    services.printer = StuckPrinter(PrinterState.PAPER_OUT)
    check = by_id(collect(services))["printer"]
    assert (check.status, check.value) == (Status.FAIL, "Sin papel")
    assert "roll empty" in check.detail
    services.printer = StuckPrinter(PrinterState.PAPER_NEAR_END)
    assert by_id(collect(services))["printer"].status is Status.WARN


def test_a_broken_subsystem_fails_its_check_only(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> str:
        raise OSError("disk I/O error")

    monkeypatch.setattr(services.store, "integrity_check", boom)
    checks = by_id(collect(services))
    assert checks["database"].status is Status.FAIL
    assert checks["database"].value == "OSError" and "disk I/O error" in checks["database"].detail
    assert checks["printer"].status is Status.OK and len(checks) == 11


def test_corrupt_document_folder_fails_integrity(services: Services, clock: FakeClock) -> None:
    services.store.complete_visit(make_visit(clock))
    for f in (services.data_dir / "documents").iterdir():
        f.unlink()
    check = by_id(collect(services))["database"]
    assert check.status is Status.FAIL and "missing" in check.detail


def test_log_size(services: Services) -> None:
    logs = services.data_dir / "logs"
    logs.mkdir()
    (logs / "kiosk.log").write_bytes(b"x" * 3000)
    (logs / "kiosk.log.1").write_bytes(b"x" * 3000)
    check = by_id(collect(services))["logs"]
    assert check.status is Status.OK and check.value == "5,9 KB"


def test_english_translator(services: Services) -> None:
    c = by_id(collect(services, tr=Translator("en")))
    assert c["printer"].value == "Ready"


# ---------------------------------------------------------------- self-test


def test_self_test_prints_and_reports(services: Services) -> None:
    checks = by_id(self_test(services))
    assert checks["selftest_print"].status is Status.OK
    printed = Path(checks["selftest_print"].detail)
    assert printed.exists() and printed.read_bytes().startswith(b"%PDF")
    store = checks["selftest_store"]
    assert store.status is Status.SKIP and "Omitida" in store.detail
    assert checks["selftest_trust"].status is Status.WARN  # never downloaded
    assert checks["selftest_sync"].status is Status.WARN  # no central configured


def test_self_test_with_trust_list_and_sync(services: Services, tmp_path: Path) -> None:
    from kiosk.turns.trust import KeyStore

    KeyStore(tmp_path / "keys").trust_list().save(services.trust_path)
    services.sync = FakeSync(drift=-3)
    checks = by_id(self_test(services))
    assert checks["selftest_trust"].status is Status.OK
    assert checks["selftest_trust"].value == "1 de 1 claves vigentes"
    assert checks["selftest_sync"].status is Status.OK and "-3" in checks["selftest_sync"].detail
    services.sync = FakeSync(reachable=False)
    sync = by_id(self_test(services))["selftest_sync"]
    assert sync.status is Status.FAIL and "connection refused" in sync.detail


def test_self_test_failures(services: Services) -> None:
    services.printer = StuckPrinter()
    services.trust_path.write_text("{not json")
    checks = by_id(self_test(services))
    assert checks["selftest_print"].status is Status.FAIL
    assert checks["selftest_print"].value == "Sin papel"
    assert checks["selftest_trust"].status is Status.FAIL


def test_self_test_uses_the_store_roundtrip_when_there_is_one(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(
        services.store, "self_test_roundtrip", lambda: calls.append(1), raising=False
    )
    check = by_id(self_test(services))["selftest_store"]
    assert check.status is Status.OK and calls == [1]


# ---------------------------------------------------------------- outbox bundle


def _fill(services: Services, clock: FakeClock) -> list[str]:
    store = services.store
    store.complete_visit(make_visit(clock, kiosk_id="kiosk-07", documents=2))
    t2 = store.complete_visit(make_visit(clock, kiosk_id="kiosk-07", documents=1))
    store.mark_printed(t2.ticket_id, False, "paper_out")
    return [e.event_id for e in store.due_events()]


def test_export_and_read_back(services: Services, clock: FakeClock, tmp_path: Path) -> None:
    event_ids = _fill(services, clock)
    # one event waiting on a retry backoff must be exported too
    services.store.mark_retry(
        [event_ids[0]], "central unavailable", clock.now() + timedelta(hours=1)
    )
    usb = tmp_path / "usb"
    usb.mkdir()
    path = export_outbox(services, usb, PASSPHRASE)
    assert path.parent == usb and path.name.startswith("outbox-kiosk-07-")
    assert path.suffix == ".kcb"
    assert list(usb.iterdir()) == [path]  # no temp file left behind
    raw = path.read_text()
    assert "citizen_ref" not in raw and "G-101" not in raw  # the content is encrypted

    bundle = read_bundle(path, PASSPHRASE)
    assert bundle.manifest["kiosk_id"] == "kiosk-07"
    assert bundle.manifest["agency_id"] == "CAU-QUITO"
    assert bundle.manifest["count"] == 3 and bundle.manifest["documents"] == 3
    assert bundle.manifest["created_at"] == clock.now().isoformat()
    assert sorted(e["event_id"] for e in bundle.events) == sorted(event_ids)
    docs = [d for e in bundle.events for d in e["payload"].get("documents", [])]
    assert len(docs) == 3
    expected = {fake_jpeg(2048, 0), fake_jpeg(2048, 1)}
    assert {bundle.documents[d["document_id"]] for d in docs} == expected
    assert services.store.backlog() == 3  # still pending: the central de-duplicates
    audit = services.store.audit_entries()
    assert audit[0].action == "outbox_exported" and '"events": 3' in audit[0].detail


def test_wrong_passphrase_is_named(services: Services, clock: FakeClock, tmp_path: Path) -> None:
    _fill(services, clock)
    path = export_outbox(services, tmp_path, PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        read_bundle(path, "ABCD-EFGH-JKLM-NPQX")


@pytest.mark.parametrize("target", ["ciphertext", "manifest", "nonce", "mac"])
def test_tampered_bundle_is_refused(
    services: Services, clock: FakeClock, tmp_path: Path, target: str
) -> None:
    _fill(services, clock)
    path = export_outbox(services, tmp_path, PASSPHRASE)
    body = json.loads(path.read_text())
    if target == "ciphertext":
        data = bytearray(base64.b64decode(body["ciphertext"]))
        data[10] ^= 0x01
        body["ciphertext"] = base64.b64encode(bytes(data)).decode()
    elif target == "manifest":
        body["manifest"]["count"] = 1
    elif target == "nonce":
        body["cipher"]["nonce"] = base64.b64encode(b"\x00" * 12).decode()
    else:
        body["mac"]["value"] = "0" * 64
    path.write_text(json.dumps(body))
    with pytest.raises(BundleTampered):
        read_bundle(path, PASSPHRASE)


def test_unreadable_bundles(tmp_path: Path) -> None:
    junk = tmp_path / "junk.kcb"
    junk.write_text("hello")
    with pytest.raises(BundleError, match="not JSON"):
        read_bundle(junk, PASSPHRASE)
    junk.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(BundleError, match="not a Kiosco CAU"):
        read_bundle(junk, PASSPHRASE)
    with pytest.raises(BundleError, match="cannot read"):
        read_bundle(tmp_path / "missing.kcb", PASSPHRASE)


def test_export_refuses_bad_input(services: Services, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        export_outbox(services, tmp_path, "short")
    with pytest.raises(FileNotFoundError):
        export_outbox(services, tmp_path / "not-mounted", PASSPHRASE)


def test_empty_outbox_still_exports(services: Services, tmp_path: Path) -> None:
    bundle = read_bundle(export_outbox(services, tmp_path, PASSPHRASE), PASSPHRASE)
    assert bundle.manifest["count"] == 0 and bundle.events == [] and bundle.documents == {}


def test_purged_documents_are_counted_not_fatal(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    _fill(services, clock)
    clock.advance(8 * 24 * 3600)  # past the 7-day retention: files are purged
    assert services.store.purge_documents() == 3
    bundle = read_bundle(export_outbox(services, tmp_path, PASSPHRASE), PASSPHRASE)
    assert bundle.manifest["documents"] == 0 and bundle.manifest["documents_missing"] == 3


def test_generated_passphrases() -> None:
    a, b = diagnostics.generate_passphrase(), diagnostics.generate_passphrase()
    assert a != b and len(a) == 19 and a.count("-") == 3
    assert not set(a) & set("01IOL")  # nothing a technician could misread


def test_removable_media(tmp_path: Path) -> None:
    (tmp_path / "media" / "tecnico" / "USB-KIOSCO").mkdir(parents=True)
    assert diagnostics.removable_media_dirs([tmp_path / "media", tmp_path / "none"]) == [
        tmp_path / "media" / "tecnico" / "USB-KIOSCO"
    ]


# ---------------------------------------------------------------- with the real sync worker


def test_with_the_real_sync_worker(services: Services, clock: FakeClock) -> None:
    """The diagnostics read the real SyncWorker's health, drift and heartbeat (loopback)."""
    from kiosk.sync import CentralClient, SyncWorker
    from kiosk.sync.testing import FakeCentral

    services.store.complete_visit(make_visit(clock, kiosk_id="kiosk-07"))
    with FakeCentral({"kiosk-07": "s3cret"}) as central:
        client = CentralClient(central.base_url, "kiosk-07", "s3cret", timeout=2.0)
        services.sync = SyncWorker(services.store, client, clock)
        try:
            assert by_id(self_test(services))["selftest_sync"].status is Status.OK
            assert services.sync.run_once().ok
            c = by_id(collect(services))
            assert c["sync_backlog"].value == "0 pendientes"
            assert c["sync_last_success"].status is Status.OK
            assert c["clock"].status in (Status.OK, Status.WARN, Status.FAIL)  # a real drift
        finally:
            client.close()
    client = CentralClient("http://127.0.0.1:9", "kiosk-07", "s3cret", timeout=0.5)
    services.sync = SyncWorker(services.store, client, clock)
    try:
        check = by_id(self_test(services))["selftest_sync"]
        assert check.status is Status.FAIL and check.detail
    finally:
        client.close()
