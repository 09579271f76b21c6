"""SpoolPrinter: receipts as PDF files in a folder (the default, the demo, and a safe fallback)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from kiosk.domain.ports import PrinterState, PrinterStatus, PrintResult, Receipt
from kiosk.printing.receipt import Paper, render_receipt_pdf

log = logging.getLogger("kiosk.printing.spool")

MIN_FREE_BYTES = 5 * 1024 * 1024  # below this a receipt might be half-written: refuse early


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:40] or "ticket"


class SpoolPrinter:
    """Writes each receipt atomically (temp file + fsync + rename) as <ticket>-<id>.pdf."""

    def __init__(self, folder: str | os.PathLike[str], *, paper: Paper = "roll80") -> None:
        self.folder = Path(folder)
        self.paper: Paper = paper
        self.name = f"spool:{self.folder}"

    def status(self) -> PrinterStatus:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return PrinterStatus(PrinterState.ERROR, f"spool folder unusable: {exc.strerror}")
        if not os.access(self.folder, os.W_OK | os.X_OK):
            return PrinterStatus(PrinterState.ERROR, "spool folder not writable")
        free = shutil.disk_usage(self.folder).free
        if free < MIN_FREE_BYTES:
            return PrinterStatus(PrinterState.ERROR, f"spool disk nearly full ({free} bytes free)")
        return PrinterStatus(PrinterState.READY)

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        status = self.status()
        if not status.can_print:
            log.warning("spool not ready: %s", status.detail)
            return PrintResult(False, status, error=status.detail)
        try:
            pdf = render_receipt_pdf(receipt, paper=self.paper)
        except Exception as exc:  # a layout bug must not cost the citizen the on-screen ticket
            log.exception("receipt rendering failed for ticket %s", receipt.ticket_id)
            st = PrinterStatus(PrinterState.ERROR, "receipt rendering failed")
            return PrintResult(False, st, error=f"render: {type(exc).__name__}: {exc}")
        target = self.folder / f"{_safe(receipt.ticket_number)}-{_safe(receipt.ticket_id)}.pdf"
        try:
            write_atomically(target, pdf)
        except OSError as exc:
            log.error("spool write failed: %s", exc.strerror)
            st = PrinterStatus(PrinterState.ERROR, f"write failed: {exc.strerror}")
            return PrintResult(False, st, error=str(exc))
        log.info("receipt spooled for ticket %s (%d bytes)", receipt.ticket_id, len(pdf))
        return PrintResult(True, status, output_path=str(target), job_id=target.name)


def write_atomically(target: Path, data: bytes) -> None:
    """Readers (a print watcher, the UI) never see a partial file: write, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
