"""Offline mode end to end: a kiosk that never reached the central exports its outbox to
removable media; `kiosk-central import-bundle` applies it exactly once, documents included."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import KioskSettings
from kiosk.diagnostics import export_outbox
from kiosk.store import KioskStore
from kiosk.store.testing import FakeClock, make_visit

PASSPHRASE = "correct horse battery staple"
KIOSK, AGENCY = "kiosk-offline", "cau-quito-norte"


@dataclass
class Services:
    settings: KioskSettings
    store: KioskStore
    clock: FakeClock


def central(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.central", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_exported_outbox_imports_exactly_once(tmp_path: Path) -> None:
    clock = FakeClock()
    store = KioskStore.open(tmp_path / "kiosk", kiosk_id=KIOSK, agency_id=AGENCY, clock=clock)
    try:
        tickets = [
            store.complete_visit(make_visit(clock, kiosk_id=KIOSK, agency_id=AGENCY, documents=2))
            for _ in range(3)
        ]
        services = Services(KioskSettings(kiosk_id=KIOSK, agency_id=AGENCY), store, clock)
        media = tmp_path / "usb"
        media.mkdir()
        bundle = export_outbox(services, media, PASSPHRASE)
    finally:
        store.close()
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE)
    db = tmp_path / "central.db"
    url = f"sqlite:///{db}"

    refused = central("import-bundle", "--db", url, str(bundle), "--passphrase-file", str(secret))
    assert refused.returncode == 2 and "not enrolled" in refused.stderr

    assert central("enrol", "--db", url, "--kiosk-id", KIOSK, "--agency-id", AGENCY).returncode == 0
    wrong = central(
        "import-bundle",
        "--db",
        url,
        str(bundle),
        env={"KIOSK_BUNDLE_PASSPHRASE": "not the passphrase"},
    )
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr

    first = central("import-bundle", "--db", url, str(bundle), "--passphrase-file", str(secret))
    assert first.returncode == 0, first.stderr
    assert "3 accepted" in first.stdout and "6 stored" in first.stdout
    again = central("import-bundle", "--db", url, str(bundle), "--passphrase-file", str(secret))
    assert again.returncode == 0, again.stderr
    assert "3 duplicate" in again.stdout and "6 already stored" in again.stdout

    with sqlite3.connect(db) as con:
        numbers = sorted(r[0] for r in con.execute("select number from tickets"))
        stored = con.execute("select count(*) from documents where data is not null").fetchone()
    assert numbers == sorted(t.number for t in tickets)
    assert stored == (6,)
