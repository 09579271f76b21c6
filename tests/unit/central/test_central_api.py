"""The central service's HTTP contract, in process (real SQLite, real FastAPI stack)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import pytest
from central_testkit import AGENCY, Central, central_fixture, ticket_event  # noqa: F401

from kiosk.domain.turns import TurnOutcome
from kiosk.turns import TokenError, TrustList, decode_token


def test_health_and_openapi(central: Central) -> None:
    assert central.http.get("/healthz").json() == {"status": "ok"}
    paths = central.http.get("/openapi.json").json()["paths"]
    assert "/api/v1/sync" in paths and "/api/v1/documents/{document_id}" in paths


def test_kiosk_auth_unknown_bad_revoked(central: Central) -> None:
    h = central.enrol("k1")
    assert central.http.get("/api/v1/trust-list", headers=h).status_code == 200
    assert central.http.get("/api/v1/trust-list").status_code == 401
    bad = {**h, "Authorization": "Bearer nope"}
    assert central.http.get("/api/v1/trust-list", headers=bad).status_code == 401
    ghost = {**h, "X-Kiosk-Id": "ghost"}
    assert central.http.post("/api/v1/sync", headers=ghost, json={"events": []}).status_code == 401
    r = central.http.post("/api/v1/kiosks/k1/revoke", headers=central.admin)
    assert r.status_code == 200
    r = central.http.post("/api/v1/sync", headers=h, json={"events": [ticket_event()]})
    assert r.status_code == 403
    # nothing stored from the refused request
    assert central.next() is None


def test_admin_endpoints_need_the_admin_token(central: Central) -> None:
    h = central.enrol("k1")
    assert (
        central.http.post(
            "/api/v1/kiosks/enrol", json={"kiosk_id": "x", "agency_id": "a"}
        ).status_code
        == 401
    )
    assert central.http.get("/api/v1/kiosks", headers=h).status_code == 403
    assert central.http.get("/api/v1/conflicts", headers=h).status_code == 403
    listed = central.http.get("/api/v1/kiosks", headers=central.admin).json()["kiosks"]
    assert [k["kiosk_id"] for k in listed] == ["k1"]


def test_trust_list_verifies_booked_turn(central: Central) -> None:
    h = central.enrol("k1")
    trust = TrustList.from_json(central.http.get("/api/v1/trust-list", headers=h).json())
    slot = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    booked = central.http.post(
        "/api/v1/turns",
        headers=central.admin,
        json={
            "agency_id": AGENCY,
            "tramite_id": "cod-ext",
            "slot_start": slot.isoformat(),
            "id_number": "1712345678",
            "email": "a@b.ec",
            "mobile": "0991234567",
            "province": "Pichincha",
        },
    ).json()
    claims = decode_token(booked["token"], trust)
    assert claims.turn_id == booked["turn_id"] and claims.slot_start == slot
    assert claims.id_hint == "78"
    pdf = central.http.get(booked["confirmation_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = TrustList()
    with pytest.raises(TokenError) as err:
        decode_token(booked["token"], other)
    assert err.value.outcome is TurnOutcome.UNKNOWN_KEY


def test_booking_validation(central: Central) -> None:
    r = central.http.post("/api/v1/turns", headers=central.admin, json={"agency_id": AGENCY})
    assert r.status_code == 422
    r = central.http.post(
        "/api/v1/turns",
        headers=central.admin,
        json={
            "agency_id": AGENCY,
            "tramite_id": "t",
            "slot_start": "2026-11-26T10:00:00",
            "id_number": "1712345678",
            "email": "a@b.ec",
            "mobile": "0991234567",
            "province": "P",
        },
    )
    assert r.status_code == 422  # naive time


def test_sync_is_idempotent(central: Central) -> None:
    h = central.enrol("k1")
    ev = ticket_event()
    assert central.sync(h, ev)[0]["status"] == "accepted"
    assert central.sync(h, ev)[0]["status"] == "duplicate"
    # the same ticket under a new event id (outbox re-queued it) is still one ticket
    again = {**ev, "event_id": "another"}
    assert central.sync(h, again)[0]["status"] == "duplicate"
    assert central.next() is not None
    assert central.next() is None


def test_sync_results_in_request_order_and_rejections(central: Central) -> None:
    h = central.enrol("k1")
    good = ticket_event()
    unknown = {**ticket_event(), "type": "coffee"}
    other_kiosk = ticket_event("k2")
    no_tz = ticket_event(issued_at="2026-11-26T14:00:00")
    printed = {
        "event_id": "p1",
        "type": "print_status",
        "occurred_at": "2026-11-26T14:00:01Z",
        "payload": {"ticket_id": good["payload"]["ticket_id"], "printed": True, "detail": "ok"},
    }
    results = central.sync(h, good, unknown, other_kiosk, no_tz, printed, good)
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "duplicate",
    ]
    assert [r["event_id"] for r in results] == [
        e["event_id"] for e in (good, unknown, other_kiosk, no_tz, printed, good)
    ]
    ticket = central.next()
    assert ticket is not None and ticket["printed"] is True
    assert central.next() is None  # rejected events stored nothing


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"events": {}}',
        b'{"events": [1]}',
        b'{"events": [{"type": "ticket_issued"}]}',
    ],
)
def test_malformed_batch_is_422_and_stores_nothing(central: Central, body: bytes) -> None:
    h = central.enrol("k1")
    r = central.http.post(
        "/api/v1/sync", headers={**h, "Content-Type": "application/json"}, content=body
    )
    assert r.status_code == 422
    assert central.next() is None


def test_malformed_envelope_anywhere_rejects_whole_batch(central: Central) -> None:
    h = central.enrol("k1")
    r = central.http.post(
        "/api/v1/sync", headers=h, json={"events": [ticket_event(), {"event_id": 7}]}
    )
    assert r.status_code == 422
    assert central.next() is None


def test_oversized_batch_is_413(central: Central) -> None:
    h = central.enrol("k1")
    r = central.http.post(
        "/api/v1/sync", headers=h, json={"events": [ticket_event() for _ in range(501)]}
    )
    assert r.status_code == 413
    big = ticket_event()
    big["payload"]["pad"] = "x" * (1024 * 1024)
    r = central.http.post("/api/v1/sync", headers=h, json={"events": [big]})
    assert r.status_code == 413
    assert central.next() is None


def test_replayed_turn_is_a_conflict_held_for_staff(
    central: Central, caplog: pytest.LogCaptureFixture
) -> None:
    h1, h2 = central.enrol("k1"), central.enrol("k2")
    first = ticket_event("k1", turn_id="00aa11bb22cc33dd")
    replay = ticket_event("k2", turn_id="00aa11bb22cc33dd")
    assert central.sync(h1, first)[0]["status"] == "accepted"
    with caplog.at_level(logging.INFO):
        res = central.sync(h2, replay)[0]
    assert res["status"] == "conflict"
    assert central.sync(h2, replay)[0]["status"] == "duplicate"
    conflicts = central.http.get("/api/v1/conflicts", headers=central.admin).json()["conflicts"]
    assert len(conflicts) == 1
    assert conflicts[0]["first_ticket_id"] == first["payload"]["ticket_id"]
    assert central.next()["ticket_id"] == first["payload"]["ticket_id"]  # type: ignore[index]
    assert central.next() is None  # the replay is held, not called
    status = central.http.get(f"/api/v1/tickets/{replay['payload']['ticket_id']}/status").json()
    assert status["state"] == "held"
    assert "citizen_ref" not in caplog.text and replay["payload"]["citizen_ref"] not in caplog.text
    r = central.http.post(
        f"/api/v1/conflicts/{conflicts[0]['id']}/resolve",
        headers=central.admin,
        json={"action": "admit"},
    )
    assert r.status_code == 200
    assert central.next()["ticket_id"] == replay["payload"]["ticket_id"]  # type: ignore[index]


def test_same_turn_twice_in_one_batch(central: Central) -> None:
    h = central.enrol("k1")
    a, b = ticket_event(turn_id="feedfeedfeedfeed"), ticket_event(turn_id="feedfeedfeedfeed")
    assert [r["status"] for r in central.sync(h, a, b)] == ["accepted", "conflict"]


def _put(
    central: Central,
    h: dict[str, str],
    doc_id: str,
    data: bytes,
    *,
    sha: str | None = None,
    ctype: str = "image/jpeg",
) -> int:
    r = central.http.put(
        f"/api/v1/documents/{doc_id}",
        content=data,
        headers={
            **h,
            "Content-Type": ctype,
            "X-Content-SHA256": sha or hashlib.sha256(data).hexdigest(),
            "X-Ticket-Id": "t1",
            "X-Requirement-Id": "cedula",
        },
    )
    return r.status_code


def test_documents_upload_and_counter_access(central: Central) -> None:
    h = central.enrol("k1")
    data = b"\xff\xd8\xff\xe0" + b"jpeg" * 1000
    ev = ticket_event(
        ticket_id="t1",
        documents=[
            {
                "document_id": "d1",
                "requirement_id": "cedula",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "content_type": "image/jpeg",
            }
        ],
    )
    central.sync(h, ev)
    listed = central.http.get("/api/v1/tickets/t1/documents", headers=central.admin).json()
    assert listed["documents"][0]["uploaded"] is False
    assert _put(central, h, "d1", data + b"!") == 409  # not the bytes ticket_issued declared
    assert _put(central, h, "d1", data) == 201
    assert _put(central, h, "d1", data) == 200
    assert _put(central, h, "d2", data, sha="0" * 64) == 422
    assert _put(central, h, "d3", data, ctype="image/png") == 422
    assert _put(central, h, "d4", b"x" * (1024 * 1024 + 1)) == 413
    got = central.http.get("/api/v1/documents/d1", headers=central.admin)
    assert got.status_code == 200 and got.content == data
    for missing in ("d2", "d3", "d4"):
        assert (
            central.http.get(f"/api/v1/documents/{missing}", headers=central.admin).status_code
            == 404
        )
    assert central.http.get("/api/v1/documents/d1", headers=h).status_code == 403
    assert central.http.get("/api/v1/documents/d1").status_code == 401
    other = central.enrol("k2")
    assert _put(central, other, "d1", data) == 409  # another kiosk cannot overwrite


def test_upload_before_the_ticket_event(central: Central) -> None:
    h = central.enrol("k1")
    data = b"%PDF-1.4 test"
    assert _put(central, h, "d9", data, ctype="application/pdf") == 201
    central.sync(
        h,
        ticket_event(
            ticket_id="t1",
            documents=[
                {
                    "document_id": "d9",
                    "requirement_id": "cedula",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "content_type": "application/pdf",
                }
            ],
        ),
    )
    listed = central.http.get("/api/v1/tickets/t1/documents", headers=central.admin).json()
    assert [d["uploaded"] for d in listed["documents"]] == [True]


def test_heartbeat_returns_server_time(central: Central) -> None:
    h = central.enrol("k1")
    r = central.http.post(
        "/api/v1/heartbeat",
        headers=h,
        json={
            "version": "0.1",
            "clock": datetime.now(UTC).isoformat(),
            "backlog": 3,
            "printer": "ready",
            "camera": "ok",
            "tickets_not_printed": 0,
            "last_sync_error": None,
        },
    )
    server = datetime.fromisoformat(r.json()["server_time"])
    assert abs(server - datetime.now(UTC)) < timedelta(seconds=5)
    kiosk = central.http.get("/api/v1/kiosks", headers=central.admin).json()["kiosks"][0]
    assert kiosk["health"]["backlog"] == 3 and kiosk["last_heartbeat_at"]


def test_queue_order_and_transitions(central: Central) -> None:
    h = central.enrol("k1")
    now = datetime.now(UTC)

    def at(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).isoformat()

    walk_old = ticket_event(ticket_id="walk-old", issued_at=at(30))  # starving: > 20 min
    walk = ticket_event(ticket_id="walk", issued_at=at(10))
    appt = ticket_event(ticket_id="appt", turn_id="0123456789abcdef", issued_at=at(5))
    prio = ticket_event(ticket_id="prio", priority=True, issued_at=at(1))
    other = ticket_event(ticket_id="other-tramite", issued_at=at(40), tramite_id="pension")
    central.sync(h, walk, appt, prio, walk_old, other)
    status = central.http.get("/api/v1/tickets/walk/status").json()
    assert status["state"] == "waiting" and status["position"] == 5
    low, high = status["wait_minutes"]
    assert 0 <= low <= high
    page = central.http.get("/t/walk")
    assert page.status_code == 200 and "G-101" in page.text and "En espera" in page.text
    order = [central.next(tramites=["cert-sgrt"]) for _ in range(4)]
    assert [t["ticket_id"] for t in order if t] == ["prio", "walk-old", "appt", "walk"]
    assert central.next(tramites=["cert-sgrt"]) is None
    assert central.next()["ticket_id"] == "other-tramite"  # type: ignore[index]

    base = "/api/v1/tickets/appt"
    assert central.http.post(base + "/no-show", headers=central.admin).status_code == 200
    assert central.http.post(base + "/recall", headers=central.admin).json()["recalls"] == 1
    assert central.http.post(base + "/complete", headers=central.admin).json()["state"] == (
        "completed"
    )
    assert central.http.post(base + "/complete", headers=central.admin).status_code == 409
    assert central.http.post(base + "/complete", headers=h).status_code == 403


def test_counter_credentials_are_scoped_to_their_agency(central: Central) -> None:
    h = central.enrol("k1")
    central.sync(h, ticket_event(ticket_id="t1"))
    cred = central.http.post(
        f"/api/v1/agencies/{AGENCY}/counters/v3/enrol", headers=central.admin
    ).json()["credential"]
    counter = {"Authorization": f"Bearer {cred}", "X-Agency-Id": AGENCY, "X-Counter-Id": "v3"}
    r = central.http.post("/api/v1/agencies/cau-gye/counters/v3/next", headers=counter)
    assert r.status_code == 403
    r = central.http.post(f"/api/v1/agencies/{AGENCY}/counters/v3/next", headers=counter)
    assert r.status_code == 200 and r.json()["counter_id"] == "v3"
    assert central.http.get("/api/v1/tickets/t1/documents", headers=counter).status_code == 200


def test_ids_of_another_kiosk_are_rejected_not_acknowledged(central: Central) -> None:
    h1, h2 = central.enrol("k1"), central.enrol("k2")
    mine = ticket_event("k1", event_id="shared-event", ticket_id="shared-ticket")
    assert central.sync(h1, mine)[0]["status"] == "accepted"
    same_event_id = ticket_event("k2", event_id="shared-event")
    same_ticket_id = ticket_event("k2", ticket_id="shared-ticket")
    results = central.sync(h2, same_event_id, same_ticket_id)
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    # the rejected event was not stored: the same id is rejected again, not "duplicate"
    assert central.sync(h2, same_ticket_id)[0]["status"] == "rejected"
    assert central.next()["kiosk_id"] == "k1"  # type: ignore[index]
    assert central.next() is None
