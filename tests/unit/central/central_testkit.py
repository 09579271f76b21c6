"""The central app on a temp SQLite database, served by uvicorn in a thread on loopback.

Faster than a subprocess (tests/integration/central_helpers.py covers the real process) and still
the whole HTTP stack. Import the fixture: ``from central_testkit import central_fixture``.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from kiosk.central.app import create_app
from kiosk.central.config import Settings
from kiosk.central.db import make_engine, migrate

ADMIN = "test-admin-token"
AGENCY = "cau-uio"


class Central:
    def __init__(self, client: httpx.Client) -> None:
        self.http = client
        self.admin = {"Authorization": f"Bearer {ADMIN}"}

    def enrol(self, kiosk_id: str = "k1", agency_id: str = AGENCY) -> dict[str, str]:
        r = self.http.post(
            "/api/v1/kiosks/enrol",
            headers=self.admin,
            json={"kiosk_id": kiosk_id, "agency_id": agency_id},
        )
        assert r.status_code == 200, r.text
        return {"X-Kiosk-Id": kiosk_id, "Authorization": f"Bearer {r.json()['credential']}"}

    def sync(self, headers: dict[str, str], *events: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.http.post("/api/v1/sync", headers=headers, json={"events": list(events)})
        assert r.status_code == 200, r.text
        return list(r.json()["results"])

    def next(self, counter: str = "c1", agency: str = AGENCY, **body: Any) -> dict[str, Any] | None:
        r = self.http.post(
            f"/api/v1/agencies/{agency}/counters/{counter}/next",
            headers=self.admin,
            json=body or None,
        )
        assert r.status_code in (200, 204), r.text
        return None if r.status_code == 204 else dict(r.json())


def ticket_event(
    kiosk_id: str = "k1",
    *,
    event_id: str | None = None,
    ticket_id: str | None = None,
    turn_id: str | None = None,
    priority: bool = False,
    issued_at: str = "2026-11-26T14:00:00+00:00",
    agency_id: str = AGENCY,
    documents: list[dict[str, Any]] | None = None,
    tramite_id: str = "cert-sgrt",
) -> dict[str, Any]:
    ticket_id = ticket_id or uuid.uuid4().hex
    return {
        "event_id": event_id or uuid.uuid4().hex,
        "type": "ticket_issued",
        "occurred_at": issued_at,
        "payload": {
            "ticket_id": ticket_id,
            "number": "G-101",
            "agency_id": agency_id,
            "kiosk_id": kiosk_id,
            "tramite_id": tramite_id,
            "kind": "appointment" if turn_id else "walk_in",
            "turn_id": turn_id,
            "slot_start": issued_at if turn_id else None,
            "priority": priority,
            "citizen_ref": hashlib.sha256(b"salt:1712345678").hexdigest(),
            "issued_at": issued_at,
            "documents": documents or [],
        },
    }


@pytest.fixture(name="central")
def central_fixture(tmp_path: Path) -> Iterator[Central]:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    app = create_app(Settings(db_url=url, keys_dir=tmp_path / "keys", admin_token=ADMIN))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # NODELAY
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield Central(client)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
