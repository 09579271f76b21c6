"""A network ESC/POS printer on loopback, and a parser for ESC/POS byte streams.

First-class fake (used by tests and the demo): a real TCP server that records what it receives,
answers DLE EOT real-time status queries from a configurable state (paper near end / out, cover
open, error, offline, or no answer at all), and can run out of paper part-way through a job.
The parser turns the recorded bytes back into text lines, QR payloads, raster images and cuts.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def _codepages(profile: str = "TM-T20II") -> dict[int, str]:
    """ESC t n -> Python codec, from the printer profile python-escpos' encoder switches with."""
    import codecs

    from escpos.capabilities import get_profile

    pages: dict[int, str] = {}
    for n, name in get_profile(profile).profile_data.get("codePages", {}).items():
        try:
            pages[int(n)] = codecs.lookup(str(name).lower().replace("_", "-")).name
        except (LookupError, ValueError):
            continue  # a page Python has no codec for; the parser shows U+FFFD
    return pages


# Fixed-length commands: prefix -> total length (prefix included).
_FIXED = {
    b"\x1b@": 2,
    b"\x1b2": 2,
    b"\x1bt": 3,
    b"\x1ba": 3,
    b"\x1bE": 3,
    b"\x1bG": 3,
    b"\x1b!": 3,
    b"\x1bM": 3,
    b"\x1b-": 3,
    b"\x1b{": 3,
    b"\x1bd": 3,
    b"\x1bJ": 3,
    b"\x1b3": 3,
    b"\x1bV": 3,
    b"\x1bp": 5,
    b"\x1dB": 3,
    b"\x1d!": 3,
    b"\x1db": 3,
    b"\x1dh": 3,
    b"\x1dw": 3,
    b"\x1dH": 3,
    b"\x1df": 3,
    b"\x1dL": 4,
    b"\x1dW": 4,
    b"\x10\x04": 3,
    b"\x10\x14": 5,
}


@dataclass
class Command:
    name: str  # "text", "lf", "init", "codepage", "qr_store", "qr_print", "raster", "cut", ...
    raw: bytes
    args: dict[str, Any] = field(default_factory=dict)


class IncompleteError(Exception):
    pass


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise IncompleteError


def next_command(data: bytes, pos: int) -> tuple[Command, int]:
    """Parse one command at data[pos:]; raise IncompleteError when more bytes are needed."""
    b = data[pos]
    if b == 0x0A:
        return Command("lf", data[pos : pos + 1]), pos + 1
    if b not in (0x1B, 0x1D, 0x10):
        end = pos
        while end < len(data) and data[end] not in (0x0A, 0x1B, 0x1D, 0x10):
            end += 1
        return Command("text", data[pos:end]), end
    _need(data, pos + 2)
    prefix = data[pos : pos + 2]
    if prefix == b"\x1dV":  # GS V m [n]: cut; function B (m = 65/66) carries a feed amount
        _need(data, pos + 3)
        m = data[pos + 2]
        end = pos + (4 if m in (65, 66) else 3)
        _need(data, end)
        return Command("cut", data[pos:end], {"partial": m in (1, 49, 66)}), end
    if prefix == b"\x1dv":  # GS v 0 m xL xH yL yH d1...dk: raster bit image
        _need(data, pos + 8)
        width_bytes = data[pos + 4] + 256 * data[pos + 5]
        height = data[pos + 6] + 256 * data[pos + 7]
        end = pos + 8 + width_bytes * height
        _need(data, end)
        args = {"width_bytes": width_bytes, "height": height, "data": data[pos + 8 : end]}
        return Command("raster", data[pos:end], args), end
    if prefix == b"\x1d(":  # GS ( fn pL pH ...: 2D codes (k), graphics (L), etc.
        _need(data, pos + 5)
        fn = chr(data[pos + 2])
        length = data[pos + 3] + 256 * data[pos + 4]
        end = pos + 5 + length
        _need(data, end)
        body = data[pos + 5 : end]
        if fn == "k" and len(body) >= 2 and body[0] == 49:  # cn = 49: QR code
            function = body[1]
            if function == 80:  # store the data (m = '0' then the bytes)
                return Command("qr_store", data[pos:end], {"data": body[3:]}), end
            if function == 81:
                return Command("qr_print", data[pos:end]), end
            return Command("qr_setting", data[pos:end], {"function": function}), end
        return Command(f"gs({fn}", data[pos:end]), end
    if prefix == b"\x1b*":  # ESC * m nL nH d1..dk: column image
        _need(data, pos + 5)
        columns = data[pos + 3] + 256 * data[pos + 4]
        end = pos + 5 + columns * (3 if data[pos + 2] in (32, 33) else 1)
        _need(data, end)
        return Command("column_image", data[pos:end]), end
    fixed = _FIXED.get(prefix)
    if fixed is None:
        return Command("unknown", data[pos : pos + 2]), pos + 2
    end = pos + fixed
    _need(data, end)
    raw = data[pos:end]
    names = {
        b"\x1b@": "init",
        b"\x1bt": "codepage",
        b"\x1ba": "align",
        b"\x1bE": "bold",
        b"\x1d!": "size",
        b"\x10\x04": "status_query",
    }
    return Command(
        names.get(prefix, raw[:2].hex()), raw, {"n": raw[2] if len(raw) > 2 else None}
    ), end


def iter_commands(data: bytes) -> Iterator[Command]:
    pos = 0
    while pos < len(data):
        try:
            cmd, pos = next_command(data, pos)
        except IncompleteError:
            yield Command("truncated", data[pos:])
            return
        yield cmd


@dataclass
class ParsedJob:
    lines: list[str] = field(default_factory=list)
    qr_data: list[str] = field(default_factory=list)
    qr_printed: int = 0
    cuts: int = 0
    rasters: list[tuple[int, int, bytes]] = field(default_factory=list)  # width_bytes, h, data
    status_queries: list[int] = field(default_factory=list)
    unknown: list[bytes] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def raster_image(self) -> Any:
        """Stack the GS v 0 fragments into one PIL image (black = printed dot)."""
        from PIL import Image

        if not self.rasters:
            raise ValueError("no raster image in this job")
        width = max(w for w, _, _ in self.rasters) * 8
        height = sum(h for _, h, _ in self.rasters)
        img = Image.new("1", (width, height), 1)
        y = 0
        for width_bytes, h, data in self.rasters:
            # Raster data: 1 bit per dot, 1 = black; PIL "1" raw: 1 = white. Invert while loading.
            frag = Image.frombytes("1", (width_bytes * 8, h), bytes(255 - v for v in data))
            img.paste(frag, (0, y))
            y += h
        return img


def parse_escpos(data: bytes, *, profile: str = "TM-T20II") -> ParsedJob:
    job = ParsedJob()
    pages = _codepages(profile)
    codec = "cp437"
    line = ""
    for cmd in iter_commands(data):
        if cmd.name == "text":
            line += cmd.raw.decode(codec, errors="replace")
        elif cmd.name == "lf":
            job.lines.append(line)
            line = ""
        elif cmd.name == "codepage":
            codec = pages.get(cmd.args["n"], "cp437")
        elif cmd.name == "init":
            codec = "cp437"
        elif cmd.name == "qr_store":
            job.qr_data.append(cmd.args["data"].decode("utf-8"))
        elif cmd.name == "qr_print":
            job.qr_printed += 1
        elif cmd.name == "cut":
            job.cuts += 1
        elif cmd.name == "raster":
            job.rasters.append((cmd.args["width_bytes"], cmd.args["height"], cmd.args["data"]))
        elif cmd.name == "status_query":
            job.status_queries.append(cmd.args["n"])
        elif cmd.name in ("unknown", "truncated"):
            job.unknown.append(cmd.raw)
    if line:
        job.lines.append(line)
    return job


def without_status_queries(data: bytes) -> bytes:
    return b"".join(c.raw for c in iter_commands(data) if c.name != "status_query")


# ---------------------------------------------------------------- the fake printer


class PrinterEmulator:
    """The printer's side of the protocol: state, status answers, and a record of the bytes."""

    def __init__(self) -> None:
        self.paper = "ok"  # "ok" | "near_end" | "out"
        self.cover_open = False
        self.error = False
        self.offline = False  # offline without a cause (e.g. feed button held)
        self.answer_status = True  # False: never answer DLE EOT (a printer that does not)
        self.paper_out_after: int | None = None  # print bytes that empty the roll
        self.received = bytearray()  # every byte, across connections
        self._lock = threading.Lock()
        self._printed = 0

    def job_bytes(self) -> bytes:
        """What would reach the paper: everything but the status queries."""
        with self._lock:
            return without_status_queries(bytes(self.received))

    def parsed(self) -> ParsedJob:
        with self._lock:
            return parse_escpos(bytes(self.received))

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._printed = 0

    def status_byte(self, n: int) -> int:
        paper_out = self.paper == "out"
        if n == 1:
            offline = paper_out or self.cover_open or self.error or self.offline
            return 0x12 | (0x08 if offline else 0)
        if n == 2:
            return (
                0x12
                | (0x04 if self.cover_open else 0)
                | (0x20 if paper_out else 0)
                | (0x40 if self.error else 0)
            )
        if n == 3:
            return 0x12 | (0x20 if self.error else 0)
        if n == 4:
            return 0x12 | (0x60 if paper_out else 0) | (0x0C if self.paper == "near_end" else 0)
        return 0x12

    def session(self) -> _Session:
        return _Session(self)

    def _handle(self, cmd: Command) -> bytes:
        with self._lock:
            self.received += cmd.raw
            if cmd.name == "status_query":
                return bytes([self.status_byte(cmd.args["n"])]) if self.answer_status else b""
            self._printed += len(cmd.raw)
            if self.paper_out_after is not None and self._printed >= self.paper_out_after:
                self.paper = "out"
        return b""

    def _keep(self, tail: bytes) -> None:
        with self._lock:
            self.received += tail


class _Session:
    """One connection's parse state: commands can be split across reads."""

    def __init__(self, emulator: PrinterEmulator) -> None:
        self.emulator = emulator
        self.buffer = b""

    def feed(self, chunk: bytes) -> bytes:
        """Consume bytes; return the printer's answers to send back."""
        self.buffer += chunk
        replies = b""
        pos = 0
        while pos < len(self.buffer):
            try:
                cmd, end = next_command(self.buffer, pos)
            except IncompleteError:
                break
            if cmd.name == "text" and end == len(self.buffer):
                break  # text may continue in the next read; keep it whole
            replies += self.emulator._handle(cmd)
            pos = end
        self.buffer = self.buffer[pos:]
        return replies

    def close(self) -> None:
        if self.buffer:
            self.emulator._keep(self.buffer)
            self.buffer = b""


class FakeNetworkPrinter(PrinterEmulator):
    """A loopback TCP ESC/POS printer: `with FakeNetworkPrinter() as fake: ... fake.port`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__()
        self.connections = 0
        self._stop = threading.Event()
        self._server = socket.create_server((host, port))
        self._accept_lock = threading.Lock()
        self.host, self.port = self._server.getsockname()[:2]
        self._threads: list[threading.Thread] = []
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FakeNetworkPrinter:
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._accept_thread.is_alive():
            self._accept_thread.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)
        self._server.close()

    def __enter__(self) -> FakeNetworkPrinter:
        return self.start()

    def wait_closed(self, timeout: float = 2.0) -> None:
        """Wait until every client has hung up and its bytes are recorded (a client that
        does not wait for status answers may close before the server has read everything)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._accept_lock:
                pending = select.select([self._server], [], [], 0)[0]
                busy = any(t.is_alive() for t in self._threads)
            if not pending and not busy:
                return
            time.sleep(0.01)

    def job_bytes(self) -> bytes:
        self.wait_closed()
        return super().job_bytes()

    def parsed(self) -> ParsedJob:
        self.wait_closed()
        return super().parsed()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            # select + accept + registration under one lock, so wait_closed() never sees a
            # connection that is neither pending nor registered.
            with self._accept_lock:
                try:
                    ready, _, _ = select.select([self._server], [], [], 0.02)
                    if not ready:
                        continue
                    conn, _ = self._server.accept()
                except OSError:
                    return
                self.connections += 1
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads.append(thread)
                thread.start()
            time.sleep(0)  # let wait_closed() take the lock between rounds

    def _serve(self, conn: socket.socket) -> None:
        session = self.session()
        conn.settimeout(0.05)
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                replies = session.feed(chunk)
                if replies:
                    conn.sendall(replies)
        session.close()


class FakeSerialPrinter(PrinterEmulator):
    """An ESC/POS printer on the far side of a pseudo-terminal: `fake.device` is the tty path
    to open as a serial port (pyserial), exercising the real serial code path."""

    def __init__(self) -> None:
        import os
        import tty

        super().__init__()
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.device = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeSerialPrinter:
        self._thread.start()
        return self

    def stop(self) -> None:
        import os

        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._master)
        os.close(self._slave)

    def __enter__(self) -> FakeSerialPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        import os
        import select

        session = self.session()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                break
            replies = session.feed(chunk)
            if replies:
                os.write(self._master, replies)
        session.close()
