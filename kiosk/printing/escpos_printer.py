"""EscPosPrinter: thermal receipt printers spoken to directly in ESC/POS (python-escpos transports).

Connections: USB (escpos.printer.Usb), serial (Serial) and network (Network, raw TCP port 9100).
The receipt is sent either rasterised (the same layout as the PDF, drawn at the printer's dot
width: exact fonts, ✓ and accents on any printer) or as native text with the printer's own QR
command (GS ( k) and a cut (GS V); small and fast on slow serial links.

Before anything is sent the printer is asked for its real-time status (DLE EOT 1/2/3/4): a
printer without paper gets no receipt bytes at all, so nothing is left half-printed in its
buffer for the next citizen. It is asked again after sending, to catch the roll running out.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.domain.ports import PrinterState, PrinterStatus, PrintResult, Receipt
from kiosk.i18n import Translator
from kiosk.printing.receipt import format_date, render_receipt_image, wait_text

log = logging.getLogger("kiosk.printing.escpos")

Mode = Literal["raster", "text"]

DLE_EOT = b"\x10\x04"
ESC_INIT = b"\x1b\x40"
DEFAULT_PROFILE = "TM-T20II"  # 80 mm, 576 dots at 203 dpi, full and partial cut, native QR


# ---------------------------------------------------------------- status bytes


@dataclass(frozen=True)
class RawStatus:
    """The four DLE EOT answers (None: that query went unanswered)."""

    printer: int | None  # n=1
    offline_cause: int | None  # n=2
    error_cause: int | None  # n=3
    paper: int | None  # n=4


def _valid(byte: int | None) -> bool:
    # Every DLE EOT answer has bit 1 and bit 4 set and bits 0 and 7 clear.
    return byte is not None and byte & 0x93 == 0x12


def interpret_status(raw: RawStatus) -> PrinterStatus:
    """Map the DLE EOT bits (Epson ESC/POS reference, 'DLE EOT') to a PrinterState."""
    if not any(_valid(b) for b in (raw.printer, raw.offline_cause, raw.error_cause, raw.paper)):
        return PrinterStatus(PrinterState.OFFLINE, "no valid answer to DLE EOT status queries")
    printer = raw.printer if _valid(raw.printer) else 0x12
    offline = raw.offline_cause if _valid(raw.offline_cause) else 0x12
    error = raw.error_cause if _valid(raw.error_cause) else 0x12
    paper = raw.paper if _valid(raw.paper) else 0x12
    detail = (
        f"DLE EOT 1={_hex(raw.printer)} 2={_hex(raw.offline_cause)} "
        f"3={_hex(raw.error_cause)} 4={_hex(raw.paper)}"
    )
    assert printer is not None and offline is not None and error is not None and paper is not None
    if paper & 0x60 or offline & 0x20:  # roll sensor: paper end / printing stopped at paper end
        return PrinterStatus(PrinterState.PAPER_OUT, detail)
    if offline & 0x04:  # cover open
        return PrinterStatus(PrinterState.COVER_OPEN, detail)
    if offline & 0x40 or error & 0x6C:  # error: cutter, unrecoverable, auto-recoverable
        return PrinterStatus(PrinterState.ERROR, detail)
    if printer & 0x08:  # offline without a reported cause (e.g. feed button held)
        return PrinterStatus(PrinterState.OFFLINE, detail)
    if paper & 0x0C:  # near-end sensor
        return PrinterStatus(PrinterState.PAPER_NEAR_END, detail)
    return PrinterStatus(PrinterState.READY, detail)


def _hex(b: int | None) -> str:
    return "--" if b is None else f"{b:02x}"


# ---------------------------------------------------------------- renditions


def _dummy(profile: str | None) -> Any:
    from escpos.printer import Dummy

    return Dummy(profile=profile or DEFAULT_PROFILE)


def render_receipt_escpos(
    receipt: Receipt,
    *,
    mode: Mode = "raster",
    profile: str | None = DEFAULT_PROFILE,
    dots: int | None = None,
    cut: bool = True,
) -> bytes:
    """The receipt as ESC/POS bytes, ready to send (ESC @ first, cut last)."""
    p = _dummy(profile)
    width = dots or _profile_dots(p) or 576
    p._raw(ESC_INIT)
    if mode == "raster":
        img = render_receipt_image(receipt, dots=width)
        # A hard threshold, not dithering: crisp text and QR modules on a 1-bit head.
        mono = img.point(lambda v: 255 if v >= 150 else 0).convert("1", dither=0)
        p.image(mono, impl="bitImageRaster", fragment_height=256)
    elif mode == "text":
        _render_text(p, receipt, columns=48 if width >= 500 else 32)
    else:
        raise ValueError(f"unknown ESC/POS mode {mode!r}")
    if cut:
        p.cut()
    return bytes(p.output)


def _profile_dots(p: Any) -> int | None:
    try:
        return int(p.profile.profile_data["media"]["width"]["pixels"])
    except (KeyError, TypeError, ValueError):
        return None


def _render_text(p: Any, receipt: Receipt, *, columns: int) -> None:
    from escpos.constants import QR_ECLEVEL_M

    tr = Translator(receipt.language)

    def para(text: str, width: int = columns) -> None:
        for line in textwrap.wrap(text, width) or [""]:
            p.textln(line)

    def item(marker: str, text: str) -> None:
        lines = textwrap.wrap(text, columns - 2) or [""]
        p.textln(f"{marker} {lines[0]}")
        for line in lines[1:]:
            p.textln(f"  {line}")

    rule = "-" * columns
    p.set(align="center", bold=True, double_width=True, double_height=True)
    p.textln(tr("receipt.institution_short"))
    p.set(align="center", normal_textsize=True)
    para(tr("receipt.institution"))
    p.set(align="center", bold=True)
    para(receipt.agency_name)
    p.set(align="center", bold=False)
    p.textln(rule)
    if receipt.priority:
        p.set(align="center", bold=True, invert=True, double_height=True)
        p.textln(f" {tr('receipt.priority')} ")
        p.set(align="center", invert=False, normal_textsize=True, bold=False)
    p.set(align="center", bold=True)
    p.textln(tr("receipt.your_turn"))
    size = 4 if len(receipt.ticket_number) * 4 * 12 <= columns * 12 else 3
    p.set(align="center", bold=True, custom_size=True, width=size, height=size)
    p.textln(receipt.ticket_number)
    p.set(align="center", normal_textsize=True, bold=True)
    para(receipt.tramite_name)
    p.set(align="center", bold=False)
    para(tr("receipt.service_area", area=receipt.service_area))
    if receipt.kind == "appointment" and receipt.appointment_at is not None:
        p.set(align="center", bold=True)
        para(tr("receipt.appointment", time=receipt.appointment_at.strftime("%H:%M")))
        p.set(align="center", bold=False)
    else:
        para(tr("receipt.walk_in"))
    issued = receipt.issued_at
    para(tr("receipt.issued_at", date=format_date(tr, issued), time=issued.strftime("%H:%M")))
    if receipt.queue_position is not None:
        p.set(align="center", bold=True)
        para(tr("receipt.queue_position", position=receipt.queue_position))
        p.set(align="center", bold=False)
    if receipt.wait_minutes is not None:
        para(wait_text(tr, receipt.wait_minutes))
    p.set(align="left")
    if receipt.captured_documents:
        p.textln(rule)
        p.set(align="left", bold=True)
        para(tr("receipt.captured_heading"))
        p.set(align="left", bold=False)
        for doc in receipt.captured_documents:
            item("√", doc)  # ✓ is in no ESC/POS code page; √ (CP437 0xFB) reads the same
    if receipt.originals_to_show:
        p.set(align="left", bold=True)
        para(tr("receipt.originals_heading"))
        p.set(align="left", bold=False)
        for doc in receipt.originals_to_show:
            item("*", doc)
    if receipt.pending_sync:
        p.set(align="center", bold=True)
        p.textln(rule)
        para(tr("receipt.pending_sync"))
        p.set(align="center", bold=False)
    p.set(align="center")
    p.textln(rule)
    para(tr("receipt.qr_caption"))
    # ESC a 1 (centre) applies to the native QR symbol too.
    p.qr(receipt.status_url, native=True, size=6, ec=QR_ECLEVEL_M)
    p.ln()
    para(receipt.status_url)
    p.textln(rule)
    p.set(align="center", bold=True)
    para(tr("receipt.keep_receipt"))
    p.set(align="center", bold=False)
    para(tr("receipt.free_service"))
    p.set(align="center", font="b")  # the smaller font for the notice
    para(tr("receipt.privacy"), width=columns * 4 // 3)
    para(tr("receipt.reference", ticket_id=receipt.ticket_id), width=columns * 4 // 3)
    p.set(align="left", font="a")


# ---------------------------------------------------------------- the printer


class EscPosPrinter:
    """A directly-attached ESC/POS printer. One connection per job, closed afterwards."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        name: str,
        mode: Mode = "raster",
        profile: str | None = DEFAULT_PROFILE,
        dots: int | None = None,
        status_timeout: float = 2.0,
        check_status: bool = True,
        settle: float = 0.2,
    ) -> None:
        """connect: returns an opened python-escpos printer (Network/Usb/Serial).
        check_status: False for printers that do not answer DLE EOT (then state is assumed).
        settle: pause before the post-print status query, so a roll that ran out mid-receipt
        is reported.
        """
        self._connect = connect
        self.name = name
        self.mode: Mode = mode
        self.profile = profile
        self.dots = dots
        self.status_timeout = status_timeout
        self.check_status = check_status
        self.settle = settle

    # ------------------------------------------------------------ constructors

    @classmethod
    def network(
        cls, host: str, port: int = 9100, *, timeout: float = 5.0, **kw: Any
    ) -> EscPosPrinter:
        def connect() -> Any:
            from escpos.printer import Network

            # Connect here rather than Network.open(): on failure it leaks the socket.
            sock = socket.create_connection((host, port), timeout=timeout)
            dev = Network(host=host, port=port, timeout=timeout, profile=kw.get("profile"))
            dev.device = sock
            return dev

        return cls(connect, name=f"escpos:tcp://{host}:{port}", **kw)

    @classmethod
    def usb(
        cls,
        vendor_id: int,
        product_id: int,
        *,
        in_ep: int = 0x82,
        out_ep: int = 0x01,
        timeout: float = 5.0,
        **kw: Any,
    ) -> EscPosPrinter:
        def connect() -> Any:
            from escpos.printer import Usb, usb

            if not usb.is_usable():
                raise ImportError("pyusb is not installed", name="pyusb")
            dev = Usb(
                vendor_id,
                product_id,
                timeout=int(timeout * 1000),  # pyusb counts milliseconds
                in_ep=in_ep,
                out_ep=out_ep,
                profile=kw.get("profile"),
            )
            dev.open()
            return dev

        return cls(connect, name=f"escpos:usb:{vendor_id:04x}:{product_id:04x}", **kw)

    @classmethod
    def serial(
        cls, devfile: str, *, baudrate: int = 19200, timeout: float = 2.0, **kw: Any
    ) -> EscPosPrinter:
        def connect() -> Any:
            from escpos.printer import Serial, serial

            if not serial.is_usable():
                raise ImportError("pyserial is not installed", name="pyserial")
            dev = Serial(
                devfile=devfile,
                baudrate=baudrate,
                timeout=timeout,
                dsrdtr=False,
                profile=kw.get("profile"),
            )
            dev.open()
            return dev

        return cls(connect, name=f"escpos:serial:{devfile}", **kw)

    # ------------------------------------------------------------ protocol

    def status(self) -> PrinterStatus:
        try:
            dev = self._open()
        except _UnavailableError as exc:
            return exc.status
        try:
            return self._query(dev)
        finally:
            _close(dev)

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        try:
            dev = self._open()
        except _UnavailableError as exc:
            log.warning("ESC/POS printer %s unavailable: %s", self.name, exc.status.state)
            return PrintResult(False, exc.status, error=exc.status.detail)
        try:
            return self._print(dev, receipt)
        except Exception as exc:  # never raise to the UI for a printing problem
            log.exception("unexpected ESC/POS failure (ticket %s)", receipt.ticket_id)
            st = PrinterStatus(PrinterState.ERROR, f"{type(exc).__name__}: {exc}")
            return PrintResult(False, st, error=st.detail)
        finally:
            _close(dev)

    def _print(self, dev: Any, receipt: Receipt) -> PrintResult:
        # Render before asking the printer, so the status we act on is as fresh as possible.
        try:
            data = render_receipt_escpos(
                receipt, mode=self.mode, profile=self.profile, dots=self.dots
            )
        except Exception as exc:
            log.exception("ESC/POS rendering failed (ticket %s)", receipt.ticket_id)
            st = PrinterStatus(PrinterState.ERROR, "receipt rendering failed")
            return PrintResult(False, st, error=f"render: {type(exc).__name__}: {exc}")
        result = self._send_checked(dev, data)
        if result.ok:
            log.info("receipt for ticket %s printed on %s", receipt.ticket_id, self.name)
        return result

    def _send_checked(self, dev: Any, data: bytes) -> PrintResult:
        before = self._query(dev)
        if not before.can_print:
            log.warning("ESC/POS printer %s not ready: %s", self.name, before.state)
            return PrintResult(False, before, error=before.detail)
        try:
            dev._raw(data)
        except (OSError, TimeoutError) as exc:
            st = PrinterStatus(PrinterState.OFFLINE, f"sending failed: {exc}")
            log.error("ESC/POS send to %s failed: %s", self.name, exc)
            return PrintResult(False, st, error=st.detail)
        except Exception as exc:  # pyusb's USBError/USBTimeoutError, serial's SerialException
            st = PrinterStatus(PrinterState.ERROR, f"sending failed: {type(exc).__name__}: {exc}")
            log.error("ESC/POS send to %s failed: %s", self.name, type(exc).__name__)
            return PrintResult(False, st, error=st.detail)
        if not self.check_status:
            return PrintResult(True, before)
        if self.settle:
            time.sleep(self.settle)
        after = self._query(dev)
        if after.state in (PrinterState.PAPER_OUT, PrinterState.COVER_OPEN, PrinterState.ERROR):
            # The printer stopped while our bytes were in it: the receipt is at best partial.
            log.warning("ESC/POS printer %s failed during the job: %s", self.name, after.state)
            return PrintResult(False, after, error=after.detail)
        if after.state is PrinterState.OFFLINE:
            # Lost the answer after a complete send: the bytes are in the printer; say so.
            detail = f"sent, but no status after printing ({after.detail})"
            return PrintResult(True, PrinterStatus(before.state, detail))
        return PrintResult(True, after)

    # ------------------------------------------------------------ plumbing

    def _open(self) -> Any:
        try:
            return self._connect()
        except ImportError as exc:
            raise _UnavailableError(
                PrinterState.ERROR, f"driver library missing: {exc.name} (pip install {exc.name})"
            ) from exc
        except Exception as exc:
            # DeviceNotFoundError (USB unplugged, host down), USBNotFoundError, SerialException.
            raise _UnavailableError(
                PrinterState.OFFLINE, f"cannot open {self.name}: {type(exc).__name__}: {exc}"
            ) from exc

    def _query(self, dev: Any) -> PrinterStatus:
        if not self.check_status:
            return PrinterStatus(PrinterState.READY, "status queries disabled")
        try:
            _drain(dev)
            answers: list[int | None] = []
            for n in (1, 2, 3, 4):
                answers.append(self._ask(dev, n))
                if answers[0] is None:
                    break  # mute printer: one timeout is enough, not four
        except (OSError, TimeoutError) as exc:
            return PrinterStatus(PrinterState.OFFLINE, f"status query failed: {exc}")
        answers += [None] * (4 - len(answers))
        return interpret_status(RawStatus(*answers))

    def _ask(self, dev: Any, n: int) -> int | None:
        dev._raw(DLE_EOT + bytes([n]))
        data = _read_some(dev, self.status_timeout)
        return data[-1] if data else None


class _UnavailableError(Exception):
    def __init__(self, state: PrinterState, detail: str) -> None:
        super().__init__(detail)
        self.status = PrinterStatus(state, detail)


def _read_some(dev: Any, timeout: float) -> bytes:
    """Read what the printer has answered, waiting at most `timeout` (transport-specific:
    python-escpos' own _read waits for 16 bytes on serial links)."""
    inner = dev.device
    if isinstance(inner, socket.socket):
        inner.settimeout(timeout)
        try:
            return inner.recv(16)
        except TimeoutError:
            return b""
        finally:
            inner.settimeout(getattr(dev, "timeout", None))
    if hasattr(inner, "in_waiting") and hasattr(inner, "timeout"):  # pyserial
        old = inner.timeout
        inner.timeout = timeout
        try:
            return bytes(inner.read(1))
        finally:
            inner.timeout = old
    if hasattr(dev, "in_ep"):  # pyusb
        try:
            return bytes(inner.read(dev.in_ep, 16, int(timeout * 1000)))
        except Exception:  # USBTimeoutError: no answer
            return b""
    return bytes(dev._read())


def _drain(dev: Any) -> None:
    """Drop stale bytes (late answers, automatic status) so each answer matches its query."""
    inner = dev.device
    if isinstance(inner, socket.socket):
        inner.setblocking(False)
        try:
            while inner.recv(256):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            inner.settimeout(getattr(dev, "timeout", None))
    elif hasattr(inner, "reset_input_buffer"):  # pyserial
        inner.reset_input_buffer()
    elif hasattr(dev, "in_ep"):  # pyusb: read until the endpoint has nothing (timeout)
        with contextlib.suppress(Exception):
            for _ in range(8):
                inner.read(dev.in_ep, 64, 5)


def _close(dev: Any) -> None:
    with contextlib.suppress(Exception):
        dev.close()
