"""Printing through a real CUPS scheduler to the cups-pdf virtual printer (.ci/setup-cups.sh).

Skipped with a reason when CUPS or the queue is missing, unless KIOSK_REQUIRE_CUPS=1 (CI), in
which case that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from kiosk.domain.ports import PrinterState
from kiosk.printing.cups import CupsPrinter
from kiosk.printing.factory import build_printer, test_print
from kiosk.printing.receipt import MM, render_receipt_pdf
from kiosk.printing.samples import sample_receipt

pytestmark = pytest.mark.cups

QUEUE = os.environ.get("KIOSK_CUPS_QUEUE", "KioskPDF")
# cupsenable/cupsdisable/lpadmin live in /usr/sbin, often not on a user's PATH.
ENV = {**os.environ, "LC_ALL": "C", "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"}


def _unavailable(message: str) -> None:
    if os.environ.get("KIOSK_REQUIRE_CUPS") == "1":
        pytest.fail(f"{message} (KIOSK_REQUIRE_CUPS=1; run .ci/setup-cups.sh as root)")
    pytest.skip(f"{message}; run .ci/setup-cups.sh as root to set it up")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(args[0], path=ENV["PATH"])
    if exe is None:
        _unavailable(f"{args[0]} not installed (apt-get install cups-client)")
    assert exe is not None
    return subprocess.run(
        [exe, *args[1:]], capture_output=True, text=True, env=ENV, timeout=30, check=False
    )


def cups_pdf_dir() -> Path:
    """Where cups-pdf writes: KIOSK_CUPS_PDF_DIR, else the Out line of its config."""
    if os.environ.get("KIOSK_CUPS_PDF_DIR"):
        return Path(os.environ["KIOSK_CUPS_PDF_DIR"])
    conf = Path("/etc/cups/cups-pdf.conf")
    if conf.exists():
        for line in conf.read_text(errors="replace").splitlines():
            if line.startswith("Out ") and "$" not in line:
                return Path(line.split(None, 1)[1].strip())
    return Path("/var/spool/cups-pdf/kiosk")


@pytest.fixture(scope="module")
def queue() -> str:
    if shutil.which("lpstat") is None or shutil.which("lp") is None:
        _unavailable("CUPS client tools (lp, lpstat) not installed")
    if "scheduler is running" not in _run("lpstat", "-r").stdout:
        _unavailable("the CUPS scheduler is not running")
    if _run("lpstat", "-p", QUEUE).returncode != 0:
        _unavailable(f"CUPS queue {QUEUE!r} does not exist")
    _run("cupsenable", QUEUE)
    _run("cupsaccept", QUEUE)
    return QUEUE


def pending_jobs(queue: str) -> list[str]:
    out = _run("lpstat", "-W", "not-completed", "-o", queue).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def rasterise(pdf: bytes, dpi: int = 100) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        _unavailable("pdftoppm not installed (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-", f"{tmp}/p"],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        )
        with Image.open(f"{tmp}/p.png") as page:
            return page.convert("L")


def band_ink_difference(a_img: Image.Image, b_img: Image.Image, band: int = 32) -> float:
    """Largest difference in mean ink over 8 mm bands of rows, at the best vertical offset of
    up to 3 px: tolerant of the sub-pixel shift a PostScript round trip adds, not of a changed
    layout (a different receipt scores above 100)."""
    a = 255 - np.asarray(a_img, dtype=np.float64)
    b = 255 - np.asarray(b_img, dtype=np.float64)
    best = float("inf")
    for dy in range(-3, 4):
        sa, sb = a[max(0, dy) :], b[max(0, -dy) :]
        rows = min(sa.shape[0], sb.shape[0]) // band
        width = min(sa.shape[1], sb.shape[1])
        ia = sa[: rows * band, :width].reshape(rows, band, -1).mean(axis=(1, 2))
        ib = sb[: rows * band, :width].reshape(rows, band, -1).mean(axis=(1, 2))
        best = min(best, float(np.abs(ia - ib).max()))
    return best


def find_pdf_with_text(folder: Path, text: str, since: float, timeout: float = 10) -> Path:
    """Look for the file cups-pdf wrote by its content, not by trusting our output_path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime, reverse=True):
            if path.stat().st_mtime < since - 1:
                break
            try:
                if text in PdfReader(path).pages[0].extract_text():
                    return path
            except Exception:
                continue  # still being written
        time.sleep(0.2)
    raise AssertionError(f"no PDF containing {text!r} appeared in {folder}")


def test_receipt_prints_through_cups_to_cups_pdf(queue: str) -> None:
    number = f"T-{uuid.uuid4().hex[:5].upper()}"  # unique: find this run's file
    started = time.time()
    printer = build_printer(
        {"backend": "cups", "queue": queue, "timeout": 60, "pdf_output_dir": str(cups_pdf_dir())}
    )
    result = printer.print_receipt(sample_receipt(ticket_number=number))
    assert result.ok, result
    assert result.status.can_print
    assert result.job_id and result.job_id.startswith(f"{queue}-")
    assert result.job_id not in pending_jobs(queue)

    written = find_pdf_with_text(cups_pdf_dir(), number, started)
    # cups-pdf re-distills through PostScript, which drops the text layer's accents (not the
    # glyphs); so compare what is drawn: the page as printed looks like the one we sent.
    printed = rasterise(written.read_bytes())
    sent = rasterise(render_receipt_pdf(sample_receipt(ticket_number=number)))
    # The CUPS media size is rounded to whole millimetres: allow 1 mm (+1 px of rasterising).
    one_mm_px = sent.width / 80
    assert abs(printed.height - sent.height) <= one_mm_px + 1
    worst = band_ink_difference(printed, sent)
    assert worst < 15, f"the printed page differs from the receipt sent (band ink diff {worst:.1f})"
    assert [
        b.text for b in zxingcpp.read_barcodes(printed, formats=zxingcpp.BarcodeFormat.QRCode)
    ] == [sample_receipt().status_url]
    # Sized to the receipt (media=Custom.80x<h>mm), not fed out as an A4 sheet.
    box = PdfReader(written).pages[0].mediabox
    assert float(box.width) == pytest.approx(80 * MM, abs=2)
    assert float(box.height) < 270 * MM
    assert result.output_path is not None and Path(result.output_path) == written


def test_technician_test_page_through_cups(queue: str) -> None:
    result = test_print(CupsPrinter(queue, timeout=60))
    assert result.ok, result


def test_stopped_queue_is_not_ok_and_gets_no_job(queue: str) -> None:
    assert _run("cupsdisable", queue).returncode == 0
    try:
        printer = CupsPrinter(queue, timeout=10)
        assert printer.status().state is PrinterState.STOPPED
        before = pending_jobs(queue)
        result = printer.print_receipt(sample_receipt())
        assert not result.ok
        assert result.status.state is PrinterState.STOPPED
        assert result.job_id is None
        assert pending_jobs(queue) == before  # nothing left queued to print later
    finally:
        assert _run("cupsenable", queue).returncode == 0
    assert CupsPrinter(queue).status().state is PrinterState.READY


def test_queue_rejecting_jobs_is_stopped(queue: str) -> None:
    assert _run("cupsreject", queue).returncode == 0
    try:
        result = CupsPrinter(queue, timeout=10).print_receipt(sample_receipt())
        assert not result.ok and result.status.state is PrinterState.STOPPED
    finally:
        assert _run("cupsaccept", queue).returncode == 0


def test_unknown_queue_is_a_clear_error(queue: str) -> None:
    result = CupsPrinter("NoSuchKioskQueue").print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.ERROR
    assert "does not exist" in (result.error or "")


@pytest.fixture
def hung_queue(queue: str) -> Iterator[str]:
    """A queue whose printer (a socket on loopback) accepts the data and never finishes."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def swallow() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.settimeout(0.1)
            held.append(conn)
            while not stop.is_set():
                try:
                    if not conn.recv(65536):
                        break
                except TimeoutError:
                    continue

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    name = f"KioskHung{uuid.uuid4().hex[:6]}"
    created = _run("lpadmin", "-p", name, "-v", f"socket://127.0.0.1:{port}", "-E")
    if created.returncode != 0:
        stop.set()
        thread.join()
        server.close()
        _unavailable(f"cannot create a test queue (lpadmin: {created.stderr.strip()})")
    try:
        yield name
    finally:
        _run("cancel", "-a", name)
        _run("lpadmin", "-x", name)
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_job_that_never_completes_is_cancelled_as_stuck(hung_queue: str) -> None:
    printer = CupsPrinter(hung_queue, timeout=3)
    started = time.monotonic()
    result = printer.print_receipt(sample_receipt())
    elapsed = time.monotonic() - started
    assert not result.ok
    assert result.status.state is PrinterState.JOB_STUCK, result
    assert 3 <= elapsed < 15
    assert result.job_id is not None
    deadline = time.monotonic() + 10
    while result.job_id in pending_jobs(hung_queue) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert result.job_id not in pending_jobs(hung_queue)  # cancelled, will not print later


def test_queue_deleted_while_printing_is_not_reported_as_printed(hung_queue: str) -> None:
    printer = CupsPrinter(hung_queue, timeout=15)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(printer.print_receipt(sample_receipt()))
    )
    worker.start()
    deadline = time.monotonic() + 10
    while not pending_jobs(hung_queue) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pending_jobs(hung_queue), "the job never reached the queue"
    assert _run("lpadmin", "-x", hung_queue).returncode == 0
    worker.join(timeout=20)
    assert results and not results[0].ok
    assert results[0].status.state is not PrinterState.READY
