"""The real ``kiosk-central`` process on loopback: restarts, kill -9, CLI, security, logs."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_helpers import CentralServer, central_server_fixture  # noqa: F401

from kiosk.turns import TrustList, decode_token

AGENCY = "cau-uio"
ID_NUMBER = "1712345678"


def ticket_event(kiosk_id: str, n: int, turn_id: str | None = None) -> dict[str, Any]:
    issued = datetime(2026, 11, 26, 14, 0, tzinfo=UTC) + timedelta(seconds=n)
    return {
        "event_id": f"{kiosk_id}-ev-{n}",
        "type": "ticket_issued",
        "occurred_at": issued.isoformat(),
        "payload": {
            "ticket_id": f"{kiosk_id}-t-{n}",
            "number": f"G-{n}",
            "agency_id": AGENCY,
            "kiosk_id": kiosk_id,
            "tramite_id": "cert-sgrt",
            "kind": "appointment" if turn_id else "walk_in",
            "turn_id": turn_id,
            "slot_start": issued.isoformat() if turn_id else None,
            "priority": False,
            "citizen_ref": hashlib.sha256(f"salt:{ID_NUMBER}".encode()).hexdigest(),
            "issued_at": issued.isoformat(),
            "documents": [],
        },
    }


def db_count(server: CentralServer, sql: str) -> int:
    path = server.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_kill_9_mid_sync_then_retry_loses_and_duplicates_nothing(
    central_server: CentralServer,
) -> None:
    kiosk_id, cred = central_server.enrol("k1", AGENCY)
    headers = central_server.kiosk_headers(kiosk_id, cred)
    batches = [[ticket_event("k1", b * 50 + i) for i in range(50)] for b in range(40)]
    acknowledged: set[int] = set()

    def send_all() -> None:
        with httpx.Client(base_url=central_server.base_url, timeout=5) as http:
            for i, batch in enumerate(batches):
                try:
                    r = http.post("/api/v1/sync", headers=headers, json={"events": batch})
                except httpx.TransportError:
                    return  # the server died under us, as a kiosk would see it
                if r.status_code == 200:
                    acknowledged.add(i)

    sender = threading.Thread(target=send_all)
    sender.start()
    while len(acknowledged) < 3 and sender.is_alive():
        threading.Event().wait(0.005)
    central_server.kill()  # power cut in the middle of the stream
    sender.join(10)
    assert 3 <= len(acknowledged) < len(batches)
    # acknowledged batches survived the power cut (committed before the response)
    assert db_count(central_server, "SELECT count(*) FROM tickets") >= 50 * len(acknowledged)

    central_server.restart()
    with httpx.Client(base_url=central_server.base_url, timeout=10) as http:
        for i, batch in enumerate(batches):  # the outbox resends everything not acknowledged
            r = http.post("/api/v1/sync", headers=headers, json={"events": batch})
            statuses = {x["status"] for x in r.json()["results"]}
            if i in acknowledged:
                assert statuses == {"duplicate"}
            else:
                assert statuses <= {"accepted", "duplicate"}
    total = 50 * len(batches)
    assert db_count(central_server, "SELECT count(*) FROM tickets") == total
    assert db_count(central_server, "SELECT count(DISTINCT ticket_id) FROM tickets") == total
    assert db_count(central_server, "SELECT count(*) FROM sync_events") == total


def test_security_refusals_over_real_http(central_server: CentralServer) -> None:
    base = central_server.base_url
    kiosk_id, cred = central_server.enrol("k1", AGENCY)
    headers = central_server.kiosk_headers(kiosk_id, cred)
    ev = ticket_event("k1", 1)
    refusals = [
        httpx.post(base + "/api/v1/sync", json={"events": [ev]}),  # no credential
        httpx.post(
            base + "/api/v1/sync",
            json={"events": [ev]},
            headers=central_server.kiosk_headers("k-unknown", cred),
        ),
        httpx.post(
            base + "/api/v1/sync",
            json={"events": [ev]},
            headers=central_server.kiosk_headers("k1", "forged-credential"),
        ),
        httpx.post(base + "/api/v1/sync", content=b"{not json", headers=headers),
        httpx.post(base + "/api/v1/sync", content=b"x" * (1024 * 1024 + 10), headers=headers),
    ]
    assert [r.status_code for r in refusals] == [401, 401, 401, 422, 413]
    assert all(r.json()["detail"] for r in refusals)
    central_server.revoke("k1")
    r = httpx.post(base + "/api/v1/sync", json={"events": [ev]}, headers=headers)
    assert r.status_code == 403
    assert db_count(central_server, "SELECT count(*) FROM tickets") == 0
    assert db_count(central_server, "SELECT count(*) FROM sync_events") == 0
    log = "\n".join(central_server.output)
    assert "kiosk auth refused" in log
    assert ID_NUMBER not in log and ev["payload"]["citizen_ref"] not in log and cred not in log


def test_openapi_and_status_page(central_server: CentralServer) -> None:
    base = central_server.base_url
    spec = httpx.get(base + "/openapi.json").json()
    for path in (
        "/api/v1/sync",
        "/api/v1/trust-list",
        "/api/v1/heartbeat",
        "/api/v1/agencies/{agency_id}/counters/{counter_id}/next",
        "/t/{ticket_id}",
    ):
        assert path in spec["paths"]
    assert httpx.get(base + "/t/nope").status_code == 404


def _qr_from_pdf(pdf: bytes) -> str:
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    image = Image.open(io.BytesIO(page.images[0].data)).convert("L")
    results = zxingcpp.read_barcodes(image)
    assert results, "no QR found in the confirmation PDF"
    return str(results[0].text)


def test_booked_confirmation_pdf_qr_verifies_with_the_trust_list(
    central_server: CentralServer,
) -> None:
    kiosk_id, cred = central_server.enrol("k1", AGENCY)
    booked = central_server.book_turn(
        agency_id=AGENCY,
        tramite_id="cod-ext",
        slot_start="2026-11-26T10:00:00-05:00",
        id_number=ID_NUMBER,
        email="ciudadano@example.ec",
        mobile="0991234567",
        province="Pichincha",
    )
    pdf = httpx.get(booked["confirmation_url"]).content
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Confirmación del Turno en Línea" in text and "··78" in text
    assert ID_NUMBER not in text and "ciudadano@example.ec" not in text
    token = _qr_from_pdf(pdf)
    assert token == booked["token"]
    trust = TrustList.from_json(
        httpx.get(
            central_server.base_url + "/api/v1/trust-list",
            headers=central_server.kiosk_headers(kiosk_id, cred),
        ).json()
    )
    claims = decode_token(token, trust)
    assert claims.turn_id == booked["turn_id"] and claims.agency_id == AGENCY
    # the database keeps a salted hash, not the number
    assert (
        db_count(central_server, f"SELECT count(*) FROM turns WHERE id_hash LIKE '%{ID_NUMBER}%'")
        == 0
    )
    path = central_server.db_url.removeprefix("sqlite:///")
    assert ID_NUMBER.encode() not in Path(path).read_bytes()


def test_cli_enrol_and_book(tmp_path: Path) -> None:
    with CentralServer(tmp_path / "c") as server:
        cli = [sys.executable, "-m", "kiosk.central"]
        out = subprocess.run(
            [*cli, "enrol", "--db", server.db_url, "--kiosk-id", "k9", "--agency-id", AGENCY],
            capture_output=True,
            text=True,
            check=True,
        )
        credential = out.stdout.strip().splitlines()[-1]
        r = httpx.get(
            server.base_url + "/api/v1/trust-list", headers=server.kiosk_headers("k9", credential)
        )
        assert r.status_code == 200
        trust = TrustList.from_json(r.json())
        pdf_path = tmp_path / "turno.pdf"
        out = subprocess.run(
            [
                *cli,
                "book",
                "--db",
                server.db_url,
                "--keys",
                str(server.keys_dir),
                "--agency-id",
                AGENCY,
                "--tramite-id",
                "cod-ext",
                "--slot-start",
                "2026-11-26T11:30:00-05:00",
                "--id-number",
                ID_NUMBER,
                "--email",
                "a@example.ec",
                "--mobile",
                "0991234567",
                "--province",
                "Guayas",
                "--out",
                str(pdf_path),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        token = next(
            line.split(" ", 1)[1] for line in out.stdout.splitlines() if line.startswith("token ")
        )
        assert decode_token(_qr_from_pdf(pdf_path.read_bytes()), trust).turn_id == (
            decode_token(token, trust).turn_id
        )


def test_restart_keeps_keys_and_credentials(central_server: CentralServer) -> None:
    kiosk_id, cred = central_server.enrol("k1", AGENCY)
    headers = central_server.kiosk_headers(kiosk_id, cred)
    before = httpx.get(central_server.base_url + "/api/v1/trust-list", headers=headers).json()
    port = central_server.port
    central_server.restart()
    assert central_server.port == port
    after = httpx.get(central_server.base_url + "/api/v1/trust-list", headers=headers).json()
    assert [k["kid"] for k in after["keys"]] == [k["kid"] for k in before["keys"]]
    ev = ticket_event("k1", 7, turn_id=uuid.uuid4().hex[:16])
    r = httpx.post(central_server.base_url + "/api/v1/sync", headers=headers, json={"events": [ev]})
    assert r.json()["results"][0]["status"] == "accepted"


@pytest.mark.parametrize("workers", [2])
def test_multiple_workers(tmp_path: Path, workers: int) -> None:
    with CentralServer(tmp_path / "w", workers=workers) as server:
        kiosk_id, cred = server.enrol("k1", AGENCY)
        r = httpx.post(
            server.base_url + "/api/v1/sync",
            headers=server.kiosk_headers(kiosk_id, cred),
            json={"events": [ticket_event("k1", i) for i in range(10)]},
        )
        assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 10
        server.kill()
        assert not server.running


def test_key_rotation_while_serving(central_server: CentralServer) -> None:
    kiosk_id, cred = central_server.enrol("k1", AGENCY)
    headers = central_server.kiosk_headers(kiosk_id, cred)
    turn = {
        "agency_id": AGENCY,
        "tramite_id": "cod-ext",
        "slot_start": "2026-11-26T10:00:00-05:00",
        "id_number": ID_NUMBER,
        "email": "a@example.ec",
        "mobile": "0991234567",
        "province": "Pichincha",
    }
    old_token = central_server.book_turn(**turn)["token"]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.central",
            "rotate-key",
            "--keys",
            str(central_server.keys_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    new_kid = out.stdout.split()[-1]
    trust = TrustList.from_json(
        httpx.get(central_server.base_url + "/api/v1/trust-list", headers=headers).json()
    )
    assert len(trust) == 2 and trust.keys[new_kid].not_after is None
    new_token = central_server.book_turn(**turn)["token"]
    assert decode_token(new_token, trust).key_id == new_kid  # signs with the new key at once
    assert decode_token(old_token, trust).key_id != new_kid  # and the old tokens still verify
