"""CupsPrinter: print to a named CUPS queue with the standard client tools (lp, lpstat, cancel).

The job is followed to the end: a receipt counts as printed only when CUPS reports the job
completed. A job that stays pending past the timeout is cancelled (JOB_STUCK): a receipt that
comes out ten minutes late lands in the next citizen's hands.
"""

from __future__ import annotations

import logging
import math
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from kiosk.domain.ports import PrinterState, PrinterStatus, PrintResult, Receipt
from kiosk.printing import ipp
from kiosk.printing.receipt import MM, Paper, layout_receipt, layout_to_pdf

log = logging.getLogger("kiosk.printing.cups")

# IPP printer-state-reasons keywords (RFC 8011 §5.4.12, PWG 5100.9), suffix stripped.
_REASONS: dict[str, PrinterState] = {
    "media-empty": PrinterState.PAPER_OUT,
    "media-needed": PrinterState.PAPER_OUT,
    "media-jam": PrinterState.ERROR,
    "media-low": PrinterState.PAPER_NEAR_END,
    "door-open": PrinterState.COVER_OPEN,
    "cover-open": PrinterState.COVER_OPEN,
    "interlock-open": PrinterState.COVER_OPEN,
    "offline": PrinterState.OFFLINE,
    "timed-out": PrinterState.OFFLINE,
    "shutdown": PrinterState.OFFLINE,
    "paused": PrinterState.STOPPED,
    "moving-to-paused": PrinterState.STOPPED,
}
# The worst state wins when several reasons are reported at once.
_SEVERITY = [
    PrinterState.READY,
    PrinterState.PAPER_NEAR_END,
    PrinterState.ERROR,
    PrinterState.STOPPED,
    PrinterState.OFFLINE,
    PrinterState.COVER_OPEN,
    PrinterState.PAPER_OUT,
]
_JOB_ID = re.compile(r"request id is (\S+)-(\d+)")


class CupsUnavailableError(Exception):
    """lp/lpstat missing, scheduler down or not answering."""


def state_from_reasons(reasons: list[str]) -> tuple[PrinterState, list[str]]:
    """Map printer-state-reasons keywords to one PrinterState (the most severe)."""
    worst, relevant = PrinterState.READY, []
    for reason in reasons:
        if reason in ("none", ""):
            continue
        base = re.sub(r"-(report|warning|error)$", "", reason)
        state = _REASONS.get(base)
        if state is None and reason.endswith("-error"):
            state = PrinterState.ERROR
        if state is None:
            continue  # informational (e.g. cups-waiting-for-job-completed)
        relevant.append(reason)
        if _SEVERITY.index(state) > _SEVERITY.index(worst):
            worst = state
    return worst, relevant


class CupsPrinter:
    def __init__(
        self,
        queue: str,
        *,
        timeout: float = 30.0,
        paper: Paper = "roll80",
        media: str | None = None,
        poll_interval: float = 0.15,
        pdf_output_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """queue: CUPS destination. timeout: seconds a job may take before JOB_STUCK.
        media: lp media option; default sizes the page to the receipt ("Custom.80x<h>mm"),
        so a roll printer never feeds an A4-long ticket. "" sends no media option.
        pdf_output_dir: for a cups-pdf queue, where it writes (fills PrintResult.output_path).
        """
        self.queue = queue
        self.timeout = timeout
        self.paper: Paper = paper
        self.media = media
        self.poll_interval = poll_interval
        self.pdf_output_dir = Path(pdf_output_dir) if pdf_output_dir else None
        self.name = f"cups:{queue}"

    # ------------------------------------------------------------ commands

    def _run(
        self, args: list[str], *, stdin: bytes | None = None, timeout: float = 10.0
    ) -> subprocess.CompletedProcess[bytes]:
        exe = shutil.which(args[0])
        if exe is None:
            raise CupsUnavailableError(
                f"{args[0]} not found: install the CUPS client tools (apt-get install cups-client)"
            )
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # parse the untranslated output
        try:
            return subprocess.run(
                [exe, *args[1:]],
                input=stdin,
                capture_output=True,
                timeout=max(0.5, timeout),
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CupsUnavailableError(f"{args[0]} did not answer within {timeout:.0f} s") from exc
        except OSError as exc:
            raise CupsUnavailableError(f"{args[0]} failed to run: {exc}") from exc

    def _scheduler_running(self) -> bool:
        out = self._run(["lpstat", "-r"])
        return b"scheduler is running" in out.stdout

    # ------------------------------------------------------------ status

    def status(self) -> PrinterStatus:
        try:
            return self._status()
        except CupsUnavailableError as exc:
            return PrinterStatus(PrinterState.ERROR, str(exc))

    def _status(self) -> PrinterStatus:
        # lpoptions -p lists the destination's IPP attributes in one call, printer-state-reasons
        # included (lpstat -p only shows the first reason, translated, in free text).
        res = self._run(["lpoptions", "-p", self.queue])
        if res.returncode != 0:
            if not self._scheduler_running():
                return PrinterStatus(PrinterState.OFFLINE, "CUPS scheduler not running")
            err = res.stderr.decode(errors="replace").strip()
            return PrinterStatus(PrinterState.ERROR, f"queue {self.queue!r} not usable: {err}")
        attrs: dict[str, str] = {}
        for token in shlex.split(res.stdout.decode(errors="replace")):
            key, _, value = token.partition("=")
            attrs[key] = value
        if "printer-state" not in attrs:
            # lpoptions prints nothing (and exits 0) for an unknown destination.
            if not self._scheduler_running():
                return PrinterStatus(PrinterState.OFFLINE, "CUPS scheduler not running")
            return PrinterStatus(PrinterState.ERROR, f"CUPS queue {self.queue!r} does not exist")
        reasons = [r for r in attrs.get("printer-state-reasons", "none").split(",") if r]
        state, relevant = state_from_reasons(reasons)
        printer_state = attrs.get("printer-state", "3")
        if printer_state == "5" and _SEVERITY.index(state) < _SEVERITY.index(PrinterState.STOPPED):
            state = PrinterState.STOPPED  # disabled (cupsdisable) without a more precise reason
        if attrs.get("printer-is-accepting-jobs", "true") == "false" and state.value in (
            "ready",
            "paper_near_end",
        ):
            return PrinterStatus(PrinterState.STOPPED, "queue is rejecting jobs (cupsreject)")
        detail = f"printer-state={printer_state} reasons={','.join(reasons) or 'none'}"
        if relevant:
            detail += f" ({','.join(relevant)})"
        return PrinterStatus(state, detail)

    # ------------------------------------------------------------ printing

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        try:
            return self._print(receipt)
        except CupsUnavailableError as exc:
            log.error("CUPS unavailable: %s", exc)
            status = PrinterStatus(PrinterState.ERROR, str(exc))
            return PrintResult(False, status, error=str(exc))
        except Exception as exc:  # never raise to the UI for a printing problem
            log.exception("unexpected CUPS printing failure (ticket %s)", receipt.ticket_id)
            status = PrinterStatus(PrinterState.ERROR, f"{type(exc).__name__}: {exc}")
            return PrintResult(False, status, error=str(exc))

    def _media_option(self, page_height_pt: float) -> str:
        if self.media is not None:
            return self.media
        if self.paper == "a4":
            return "A4"
        return f"Custom.80x{math.ceil(page_height_pt / MM)}mm"

    def _print(self, receipt: Receipt) -> PrintResult:
        started = time.monotonic()
        deadline = started + self.timeout
        status = self._status()
        if not status.can_print:
            log.warning("CUPS queue %s not ready: %s", self.queue, status.state)
            return PrintResult(False, status, error=status.detail)

        lay = layout_receipt(receipt, paper=self.paper)
        pdf = layout_to_pdf(lay, title=receipt.ticket_number)
        args = ["lp", "-d", self.queue, "-t", f"kiosk-{receipt.ticket_number}"]
        media = self._media_option(lay.page_height)
        if media:
            args += ["-o", f"media={media}"]
        res = self._run([*args, "-"], stdin=pdf, timeout=deadline - time.monotonic())
        match = _JOB_ID.search(res.stdout.decode(errors="replace"))
        if res.returncode != 0 or match is None:
            err = res.stderr.decode(errors="replace").strip() or "lp gave no job id"
            log.error("lp refused the job: %s", err)
            # lp fails on a queue that stopped accepting between status() and now.
            after = self._status()
            state = after.state if not after.can_print else PrinterState.ERROR
            return PrintResult(False, PrinterStatus(state, err), error=err)
        job_id = f"{match.group(1)}-{match.group(2)}"
        job_number = int(match.group(2))
        log.info(
            "receipt for ticket %s submitted to %s as %s", receipt.ticket_id, self.queue, job_id
        )

        bad_polls = 0
        while True:
            pending = self._run(
                ["lpstat", "-W", "not-completed", "-o", self.queue],
                timeout=min(10.0, max(0.5, deadline - time.monotonic())),
            )
            if pending.returncode != 0:
                # Cannot see the job any more (scheduler gone, queue deleted): not "printed".
                current = self._status()
                state = current.state if not current.can_print else PrinterState.ERROR
                detail = f"lost track of {job_id}: {pending.stderr.decode(errors='replace')}"
                log.error(detail.strip())
                return PrintResult(
                    False, PrinterStatus(state, detail.strip()), job_id=job_id, error=detail
                )
            if not _lists_job(pending.stdout.decode(errors="replace"), job_id):
                break
            current = self._status()
            # Two polls in a row, so a blip in the reported state does not cancel a good job.
            bad_polls = bad_polls + 1 if not current.can_print else 0
            if bad_polls >= 2:
                self._cancel(job_id)
                log.warning("job %s cancelled: printer %s", job_id, current.state)
                return PrintResult(False, current, job_id=job_id, error=current.detail)
            if time.monotonic() >= deadline:
                self._cancel(job_id)
                detail = f"job {job_id} not completed after {self.timeout:.0f} s; cancelled"
                log.warning(detail)
                stuck = PrinterStatus(PrinterState.JOB_STUCK, detail)
                return PrintResult(False, stuck, job_id=job_id, error=detail)
            time.sleep(self.poll_interval)

        final = self._final_state(job_number)
        if final is not None and final.state in ("canceled", "aborted"):
            detail = f"job {job_id} {final.state} ({','.join(final.reasons)})"
            log.warning(detail)
            after = self._status()
            state = after.state if not after.can_print else PrinterState.ERROR
            return PrintResult(False, PrinterStatus(state, detail), job_id=job_id, error=detail)
        elapsed = (time.monotonic() - started) * 1000
        log.info("job %s completed in %.0f ms", job_id, elapsed)
        return PrintResult(
            True, self._status(), output_path=self._find_output(job_number), job_id=job_id
        )

    def _cancel(self, job_id: str) -> None:
        try:
            self._run(["cancel", job_id])
        except CupsUnavailableError as exc:
            log.error("could not cancel %s: %s", job_id, exc)

    def _final_state(self, job_number: int) -> ipp.JobState | None:
        try:
            return ipp.get_job_state(job_number)
        except ipp.IppError as exc:
            # lpstat already says "no longer pending"; without IPP we cannot tell more.
            log.info("final job state unavailable: %s", exc)
            return None

    def _find_output(self, job_number: int) -> str | None:
        """cups-pdf (Label 2, see .ci/setup-cups.sh) names files ...-job_<n>.pdf."""
        if self.pdf_output_dir is None:
            return None
        deadline = time.monotonic() + 2.0
        while True:
            found = sorted(self.pdf_output_dir.glob(f"*job_{job_number}.pdf"))
            if found or time.monotonic() > deadline:
                return str(found[-1]) if found else None
            time.sleep(0.05)


def _lists_job(lpstat_output: str, job_id: str) -> bool:
    return any(line.split(maxsplit=1)[:1] == [job_id] for line in lpstat_output.splitlines())
