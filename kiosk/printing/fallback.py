"""FallbackPrinter: try printers in order (e.g. the thermal printer, then an A4 office queue),
so one empty roll does not leave a citizen without a receipt."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kiosk.domain.ports import Printer, PrinterStatus, PrintResult, Receipt

log = logging.getLogger("kiosk.printing.fallback")


class FallbackPrinter:
    def __init__(self, printers: Sequence[Printer]) -> None:
        if not printers:
            raise ValueError("FallbackPrinter needs at least one printer")
        self.printers = tuple(printers)
        self.name = "fallback:" + ",".join(p.name for p in self.printers)

    def status(self) -> PrinterStatus:
        """The first printer able to print; otherwise the primary's problem (what staff fix)."""
        statuses = [p.status() for p in self.printers]
        for printer, status in zip(self.printers, statuses, strict=True):
            if status.can_print:
                if printer is not self.printers[0]:
                    primary = statuses[0]
                    detail = (
                        f"primary {self.printers[0].name}: {primary.state}; using {printer.name}"
                    )
                    return PrinterStatus(status.state, detail)
                return status
        return statuses[0]

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        failures: list[PrintResult] = []
        for printer in self.printers:
            result = printer.print_receipt(receipt)
            if result.ok:
                if failures:
                    log.warning(
                        "receipt for ticket %s printed on fallback %s (primary: %s)",
                        receipt.ticket_id,
                        printer.name,
                        failures[0].status.state,
                    )
                return result
            failures.append(result)
        primary = failures[0]
        errors = "; ".join(
            f"{p.name}: {r.status.state} {r.error or ''}".strip()
            for p, r in zip(self.printers, failures, strict=True)
        )
        return PrintResult(False, primary.status, job_id=primary.job_id, error=errors)
