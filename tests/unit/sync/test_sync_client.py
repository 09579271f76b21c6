"""CentralClient against a real loopback HTTP server (no mocked httpx)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator

import pytest

from kiosk.sync import CentralAuthError, CentralClient, CentralRejected, CentralUnavailable
from kiosk.sync.testing import FakeCentral


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    with FakeCentral({"k1": "s3cret"}) as c:
        yield c


def _event(eid: str, kiosk: str = "k1") -> dict[str, object]:
    return {
        "event_id": eid,
        "type": "ticket_issued",
        "occurred_at": "2026-03-02T09:00:00-05:00",
        "payload": {"ticket_id": f"t-{eid}", "kiosk_id": kiosk, "turn_id": None},
    }


def test_sync_results_and_duplicates(central: FakeCentral) -> None:
    with CentralClient(central.base_url, "k1", "s3cret") as client:
        r = client.sync([_event("e1"), _event("e2", kiosk="other")])
        assert [(x.event_id, x.status) for x in r] == [("e1", "accepted"), ("e2", "rejected")]
        assert r[1].detail == "kiosk_id mismatch"
        assert client.sync([_event("e1")])[0].status == "duplicate"
        assert "s3cret" not in repr(client)


def test_bad_credential_is_an_auth_error(central: FakeCentral) -> None:
    with (
        CentralClient(central.base_url, "k1", "wrong") as client,
        pytest.raises(CentralAuthError, match="401"),
    ):
        client.sync([_event("e1")])


def test_5xx_is_unavailable_and_4xx_carries_the_message(central: FakeCentral) -> None:
    central.state.fail_next = 1
    with CentralClient(central.base_url, "k1", "s3cret") as client:
        with pytest.raises(CentralUnavailable, match="503"):
            client.sync([_event("e1")])
        central.state.reject_batch_with = "ticket_issued"
        with pytest.raises(CentralRejected, match="malformed event in batch") as info:
            client.sync([_event("e1")])
        assert info.value.status_code == 422
        with pytest.raises(ValueError, match="500"):
            client.sync([_event(str(i)) for i in range(501)])


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nobody listens
    with (
        CentralClient(f"http://127.0.0.1:{port}", "k1", "x") as client,
        pytest.raises(CentralUnavailable, match="ConnectError"),
    ):
        client.sync([])


def test_timeout_is_unavailable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        conn, _ = listener.accept()  # accept and never answer
        accepted.append(conn)

    t = threading.Thread(target=accept)
    t.start()
    try:
        port = listener.getsockname()[1]
        client = CentralClient(f"http://127.0.0.1:{port}", "k1", "x", timeout=0.3)
        with client, pytest.raises(CentralUnavailable, match="timed out"):
            client.heartbeat({})
    finally:
        t.join(5)
        for c in accepted:
            c.close()
        listener.close()


def test_dropped_connection_is_unavailable_after_apply(central: FakeCentral) -> None:
    central.state.drop_next = 1
    with CentralClient(central.base_url, "k1", "s3cret") as client:
        with pytest.raises(CentralUnavailable, match="RemoteProtocolError"):
            client.sync([_event("e1")])
        assert central.state.applied["e1"] == 1  # the central did apply it
        assert client.sync([_event("e1")])[0].status == "duplicate"


def test_upload_trust_list_heartbeat(central: FakeCentral) -> None:
    data = b"\xff\xd8" + b"x" * 1000
    sha = hashlib.sha256(data).hexdigest()
    central.state.trust_keys = [{"kid": "k-2026", "alg": "Ed25519", "public_key": "AAAA"}]
    with CentralClient(central.base_url + "/", "k1", "s3cret") as client:
        assert client.upload_document("d1", data, "image/jpeg", sha, "t1", "cedula") is True
        assert client.upload_document("d1", data, "image/jpeg", sha, "t1", "cedula") is False
        with pytest.raises(CentralRejected, match="checksum"):
            client.upload_document("d2", data + b"!", "image/jpeg", sha, "t1", "cedula")
        assert client.trust_list()["keys"][0]["kid"] == "k-2026"
        assert "server_time" in client.heartbeat({"version": "1"})
    assert central.state.documents["d1"] == data
    assert central.state.heartbeats == [{"version": "1"}]
