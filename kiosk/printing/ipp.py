"""A minimal IPP client: just enough to read one job's final state from the CUPS scheduler.

Why: `lpstat -W completed` lists completed, canceled and aborted jobs alike, so it cannot tell a
printed receipt from a discarded one. Get-Job-Attributes (RFC 8011 §4.3.4) can, and the request
is a few dozen bytes; no pycups (which needs libcups headers to build) is required.
"""

from __future__ import annotations

import http.client
import os
import socket
import struct
from dataclasses import dataclass

GET_JOB_ATTRIBUTES = 0x0009

_TAG_OPERATION = 0x01
_TAG_END = 0x03
_INTEGER = 0x21
_BOOLEAN = 0x22
_ENUM = 0x23
_URI = 0x45
_CHARSET = 0x47
_LANGUAGE = 0x48
_NAME = 0x42
_KEYWORD = 0x44

JOB_STATES = {
    3: "pending",
    4: "pending-held",
    5: "processing",
    6: "processing-stopped",
    7: "canceled",
    8: "aborted",
    9: "completed",
}


class IppError(Exception):
    pass


@dataclass(frozen=True)
class JobState:
    state: str  # one of JOB_STATES' values, or "unknown"
    reasons: tuple[str, ...]


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _server() -> str:
    """Where the scheduler listens, as the CUPS client tools decide it (CUPS_SERVER first)."""
    server = os.environ.get("CUPS_SERVER", "").strip()
    if server:
        return server
    for path in ("/run/cups/cups.sock", "/var/run/cups/cups.sock"):
        if os.path.exists(path):
            return path
    return "localhost:631"


def _attr(tag: int, name: str, value: bytes) -> bytes:
    raw = name.encode()
    return struct.pack(">BH", tag, len(raw)) + raw + struct.pack(">H", len(value)) + value


def encode_get_job(job_id: int, user: str, request_id: int = 1) -> bytes:
    body = struct.pack(">BBHI", 2, 0, GET_JOB_ATTRIBUTES, request_id)
    body += bytes([_TAG_OPERATION])
    body += _attr(_CHARSET, "attributes-charset", b"utf-8")
    body += _attr(_LANGUAGE, "attributes-natural-language", b"en")
    body += _attr(_URI, "job-uri", f"ipp://localhost/jobs/{job_id}".encode())
    body += _attr(_NAME, "requesting-user-name", user.encode())
    body += _attr(_KEYWORD, "requested-attributes", b"job-state")
    body += _attr(_KEYWORD, "", b"job-state-reasons")  # empty name: another value of the above
    body += bytes([_TAG_END])
    return body


def decode_response(data: bytes) -> tuple[int, dict[str, list[object]]]:
    """(status-code, {attribute: [values]}) of all groups merged; enough for one job."""
    if len(data) < 8:
        raise IppError("short IPP response")
    status = struct.unpack(">H", data[2:4])[0]
    attrs: dict[str, list[object]] = {}
    pos, last = 8, ""
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == _TAG_END:
            break
        if tag < 0x10:  # a group delimiter
            continue
        (name_len,) = struct.unpack(">H", data[pos : pos + 2])
        name = data[pos + 2 : pos + 2 + name_len].decode("utf-8", "replace")
        pos += 2 + name_len
        (value_len,) = struct.unpack(">H", data[pos : pos + 2])
        raw = data[pos + 2 : pos + 2 + value_len]
        pos += 2 + value_len
        value: object
        if tag in (_INTEGER, _ENUM) and value_len == 4:
            value = struct.unpack(">i", raw)[0]
        elif tag == _BOOLEAN and value_len == 1:
            value = bool(raw[0])
        else:
            value = raw.decode("utf-8", "replace")
        if name:
            last = name
        attrs.setdefault(last, []).append(value)
    return status, attrs


def get_job_state(job_id: int, *, timeout: float = 5.0, user: str = "kiosk") -> JobState:
    server = _server()
    conn: http.client.HTTPConnection
    if server.startswith("/"):
        conn = _UnixHTTPConnection(server, timeout)
    else:
        host, _, port = server.partition(":")
        conn = http.client.HTTPConnection(host, int(port or 631), timeout=timeout)
    try:
        conn.request(
            "POST",
            "/",
            body=encode_get_job(job_id, user),
            headers={"Content-Type": "application/ipp"},
        )
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise IppError(f"HTTP {response.status} from CUPS")
    except OSError as exc:
        raise IppError(f"CUPS unreachable at {server}: {exc}") from exc
    finally:
        conn.close()
    status, attrs = decode_response(payload)
    if status >= 0x0100:  # client-error / server-error
        raise IppError(f"IPP status 0x{status:04x}")
    state_values = attrs.get("job-state", [])
    state_code = state_values[0] if state_values else None
    state = JOB_STATES.get(state_code, "unknown") if isinstance(state_code, int) else "unknown"
    reasons = tuple(str(r) for r in attrs.get("job-state-reasons", []))
    return JobState(state, reasons)
