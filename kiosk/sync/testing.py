"""A small in-process stand-in for the central service's kiosk API, on a real loopback socket.

For unit tests and the demo when `kiosk-central` is not running. It follows the /api/v1 contract
(de-duplication on event_id, turn conflicts, checksum checks) and has fault knobs: answer 503,
hang, or drop the connection after applying a batch but before replying (the nastiest case for
exactly-once). It is not the central service: fault tests against the real one live in
tests/integration/test_sync_faults.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeCentralState:
    credentials: dict[str, str]  # kiosk_id -> bearer credential
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> event
    applied: Counter[str] = field(default_factory=Counter)  # event_id -> times applied
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    turns: dict[str, str] = field(default_factory=dict)  # turn_id -> ticket_id
    documents: dict[str, bytes] = field(default_factory=dict)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    trust_keys: list[dict[str, Any]] = field(default_factory=list)
    # fault knobs (counted down per request)
    fail_next: int = 0  # answer 503
    drop_next: int = 0  # apply the batch, then close the connection without a reply
    reject_batch_with: str | None = None  # 422 the whole batch if any event has this type
    sync_requests: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (40 ms on Linux) on every reply
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests fail on noise
        return

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _auth(self) -> str | None:
        kiosk = self.headers.get("X-Kiosk-Id", "")
        expected = self.server.state.credentials.get(kiosk)
        if expected is None or self.headers.get("Authorization") != f"Bearer {expected}":
            self._reply(401, {"detail": "unknown kiosk or bad credential"})
            return None
        return kiosk

    def do_POST(self) -> None:
        body = self._body()
        kiosk = self._auth()
        if kiosk is None:
            return
        state = self.server.state
        with self.server.lock:
            if self.path == "/api/v1/heartbeat":
                state.heartbeats.append(json.loads(body))
                self._reply(200, {"server_time": datetime.now(UTC).isoformat()})
                return
            if self.path != "/api/v1/sync":
                self._reply(404, {"detail": "not found"})
                return
            state.sync_requests += 1
            if state.fail_next > 0:
                state.fail_next -= 1
                self._reply(503, {"detail": "maintenance"})
                return
            events = json.loads(body)["events"]
            if len(events) > 500:
                self._reply(413, {"detail": "at most 500 events"})
                return
            if state.reject_batch_with and any(
                e.get("type") == state.reject_batch_with for e in events
            ):
                self._reply(422, {"detail": "malformed event in batch"})
                return
            results = [self._apply(kiosk, e) for e in events]
            if state.drop_next > 0:
                state.drop_next -= 1
                self.close_connection = True  # applied, but the kiosk never hears back
                return
        self._reply(200, {"results": results})

    def _apply(self, kiosk: str, e: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        eid = e["event_id"]
        if eid in state.events:
            return {"event_id": eid, "status": "duplicate", "detail": None}
        p = e.get("payload", {})
        if e.get("type") not in ("ticket_issued", "print_status"):
            return {"event_id": eid, "status": "rejected", "detail": "unknown event type"}
        if e["type"] == "ticket_issued" and p.get("kiosk_id") != kiosk:
            return {"event_id": eid, "status": "rejected", "detail": "kiosk_id mismatch"}
        state.events[eid] = e
        state.applied[eid] += 1
        if e["type"] == "ticket_issued":
            state.tickets[p["ticket_id"]] = p
            turn = p.get("turn_id")
            if turn and state.turns.setdefault(turn, p["ticket_id"]) != p["ticket_id"]:
                return {"event_id": eid, "status": "conflict", "detail": "turn already used"}
        elif p["ticket_id"] in state.tickets:
            state.tickets[p["ticket_id"]]["printed"] = p["printed"]
        return {"event_id": eid, "status": "accepted", "detail": None}

    def do_PUT(self) -> None:
        body = self._body()
        if self._auth() is None:
            return
        prefix = "/api/v1/documents/"
        if not self.path.startswith(prefix):
            self._reply(404, {"detail": "not found"})
            return
        doc_id = self.path[len(prefix) :]
        if hashlib.sha256(body).hexdigest() != self.headers.get("X-Content-SHA256"):
            self._reply(422, {"detail": "checksum mismatch"})
            return
        with self.server.lock:
            known = doc_id in self.server.state.documents
            self.server.state.documents[doc_id] = body
        self._reply(200 if known else 201, {"document_id": doc_id})

    def do_GET(self) -> None:
        if self._auth() is None:
            return
        if self.path == "/api/v1/trust-list":
            self._reply(
                200,
                {"keys": self.server.state.trust_keys, "issued_at": datetime.now(UTC).isoformat()},
            )
        else:
            self._reply(404, {"detail": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeCentralState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()


class FakeCentral:
    """`with FakeCentral({"k1": "secret"}) as central: ... central.base_url ...`"""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.state = FakeCentralState(credentials=dict(credentials))
        self._server = _Server(self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def lock(self) -> threading.Lock:
        return self._server.lock

    def start(self) -> FakeCentral:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> FakeCentral:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CutProxy:
    """A loopback TCP proxy that can cut a connection after the request went through but before
    the reply comes back: the central applied the batch, the kiosk never heard it did.

    `cut_replies = n` swallows the next n replies (the connection is closed instead).
    `blackhole = True` accepts connections and closes them at once (link down).
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.cut_replies = 0
        self.cuts = 0
        self.blackhole = False
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> CutProxy:
        self._acceptor.start()
        return self

    def __enter__(self) -> CutProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._closing.set()
        self._acceptor.join(5)
        self._listener.close()
        with self._lock:
            socks = list(self._sockets)
        for s in socks:
            _close(s)
        for t in self._threads:
            t.join(5)

    def _take_cut(self) -> bool:
        with self._lock:
            if self.cut_replies > 0:
                self.cut_replies -= 1
                self.cuts += 1
                return True
            return False

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.blackhole:
                _close(conn)
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._sockets.update((client, upstream))
        upstream.settimeout(None)
        pump = threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True)
        pump.start()
        self._pump(upstream, client, True)
        pump.join(5)
        with self._lock:
            self._sockets.difference_update((client, upstream))

    def _pump(self, src: socket.socket, dst: socket.socket, replies: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if replies and self._take_cut():
                    break  # the request was processed; drop its reply and the connection
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


def central_db_view(db_path: str, kiosk_id: str) -> dict[str, Any]:
    """What the central service's SQLite database holds for one kiosk (read-only), to check
    exactly-once from the outside: events by id, tickets, documents."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        events = conn.execute(
            "SELECT event_id, status FROM sync_events WHERE kiosk_id = ?", (kiosk_id,)
        ).fetchall()
        tickets = conn.execute(
            "SELECT ticket_id, number, printed FROM tickets WHERE kiosk_id = ?", (kiosk_id,)
        ).fetchall()
        docs = conn.execute(
            "SELECT document_id, sha256, uploaded_at IS NOT NULL FROM documents WHERE kiosk_id = ?",
            (kiosk_id,),
        ).fetchall()
    finally:
        conn.close()
    return {
        "event_ids": [e[0] for e in events],
        "event_status": dict(events),
        "tickets": {t[0]: (t[1], t[2]) for t in tickets},
        "documents": {d[0]: (d[1], bool(d[2])) for d in docs},
    }
