"""Receipts (reportlab + qrcode) and printer backends: spool folder, CUPS, ESC/POS, fallback.

No Qt here. Every backend implements kiosk.domain.ports.Printer and reports printer problems as
a not-ok PrintResult, never as an exception. Build one from the kiosk settings with
kiosk.printing.factory.build_printer(config).
"""

from kiosk.printing.receipt import render_receipt_pdf, render_receipt_png
from kiosk.printing.spool import SpoolPrinter

__all__ = ["SpoolPrinter", "render_receipt_pdf", "render_receipt_png"]
