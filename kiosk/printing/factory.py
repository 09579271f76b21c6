"""build_printer: the printer named by the kiosk settings; test_print: the technician's page.

Config keys (a plain dict, as stored in the kiosk settings):
  {"backend": "spool", "folder": "/var/lib/kiosk/receipts", "paper": "roll80"}
  {"backend": "cups", "queue": "KioskPDF", "timeout": 30, "paper": "roll80",
   "media": null, "pdf_output_dir": null}
  {"backend": "escpos", "connection": "network", "host": "192.168.1.50", "port": 9100,
   "profile": "TM-T20II", "mode": "raster", "timeout": 5, "status_timeout": 2,
   "check_status": true}
  {"backend": "escpos", "connection": "usb", "vendor_id": "0x04b8", "product_id": "0x0e15",
   "in_ep": "0x82", "out_ep": "0x01", ...}
  {"backend": "escpos", "connection": "serial", "device": "/dev/ttyUSB0", "baudrate": 19200, ...}
      (mode defaults to "text" on serial links, "raster" elsewhere)
  {"backend": "fallback", "printers": [{...primary...}, {...secondary...}]}
A bad config raises ValueError (the settings screen shows it); printer trouble never raises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.domain.ports import Printer, PrintResult
from kiosk.printing.cups import CupsPrinter
from kiosk.printing.escpos_printer import DEFAULT_PROFILE, EscPosPrinter
from kiosk.printing.fallback import FallbackPrinter
from kiosk.printing.samples import technician_receipt
from kiosk.printing.spool import SpoolPrinter

_COMMON_ESCPOS = {
    "backend",
    "connection",
    "profile",
    "mode",
    "timeout",
    "status_timeout",
    "check_status",
    "dots",
}
_ALLOWED: dict[str, set[str]] = {
    "spool": {"backend", "folder", "paper"},
    "fallback": {"backend", "printers"},
    "cups": {"backend", "queue", "timeout", "paper", "media", "pdf_output_dir"},
    "escpos:network": _COMMON_ESCPOS | {"host", "port"},
    "escpos:usb": _COMMON_ESCPOS | {"vendor_id", "product_id", "in_ep", "out_ep"},
    "escpos:serial": _COMMON_ESCPOS | {"device", "baudrate"},
}


def default_spool_folder() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kiosk-cau" / "receipts"


def _int(value: Any, key: str) -> int:
    """Accept 1208, "1208" and "0x04b8" (USB ids are written in hex everywhere)."""
    try:
        if isinstance(value, str):
            return int(value, 0)
        if isinstance(value, bool):
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"printer setting {key!r} must be an integer, got {value!r}") from None


def _float(value: Any, key: str) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"printer setting {key!r} must be a number, got {value!r}") from None
    if result <= 0:
        raise ValueError(f"printer setting {key!r} must be positive")
    return result


def _paper(config: Mapping[str, Any]) -> Any:
    paper = config.get("paper", "roll80")
    if paper not in ("roll80", "a4"):
        raise ValueError(f"printer setting 'paper' must be 'roll80' or 'a4', got {paper!r}")
    return paper


def build_printer(config: Mapping[str, Any]) -> Printer:
    backend = config.get("backend", "spool")
    kind = backend
    if backend == "escpos":
        kind = f"escpos:{config.get('connection', 'network')}"
    allowed = _ALLOWED.get(kind)
    if allowed is None:
        raise ValueError(f"unknown printer backend {kind!r}; expected one of {sorted(_ALLOWED)}")
    unknown = set(config) - allowed
    if unknown:
        raise ValueError(f"unknown settings for the {kind} printer: {sorted(unknown)}")

    if backend == "fallback":
        members = config.get("printers")
        if not isinstance(members, list) or not members:
            raise ValueError("the fallback printer needs a non-empty 'printers' list")
        if any(isinstance(m, Mapping) and m.get("backend") == "fallback" for m in members):
            raise ValueError("fallback printers cannot be nested")
        return FallbackPrinter([build_printer(m) for m in members])
    if backend == "spool":
        return SpoolPrinter(config.get("folder") or default_spool_folder(), paper=_paper(config))
    if backend == "cups":
        queue = config.get("queue")
        if not queue or not isinstance(queue, str):
            raise ValueError("the cups printer needs a 'queue' name")
        return CupsPrinter(
            queue,
            timeout=_float(config.get("timeout", 30), "timeout"),
            paper=_paper(config),
            media=config.get("media"),
            pdf_output_dir=config.get("pdf_output_dir"),
        )

    # Serial links are slow (a raster receipt is ~120 kB: a minute at 19200 baud): text there.
    mode = config.get("mode", "text" if kind == "escpos:serial" else "raster")
    if mode not in ("raster", "text"):
        raise ValueError(f"escpos 'mode' must be 'raster' or 'text', got {mode!r}")
    common: dict[str, Any] = {
        "mode": mode,
        "profile": config.get("profile", DEFAULT_PROFILE),
        "status_timeout": _float(config.get("status_timeout", 2.0), "status_timeout"),
        "check_status": bool(config.get("check_status", True)),
        "timeout": _float(config.get("timeout", 5.0), "timeout"),
    }
    if "dots" in config:
        common["dots"] = _int(config["dots"], "dots")
    if kind == "escpos:network":
        host = config.get("host")
        if not host:
            raise ValueError("the network escpos printer needs a 'host'")
        return EscPosPrinter.network(str(host), _int(config.get("port", 9100), "port"), **common)
    if kind == "escpos:usb":
        if "vendor_id" not in config or "product_id" not in config:
            raise ValueError("the usb escpos printer needs 'vendor_id' and 'product_id'")
        return EscPosPrinter.usb(
            _int(config["vendor_id"], "vendor_id"),
            _int(config["product_id"], "product_id"),
            in_ep=_int(config.get("in_ep", 0x82), "in_ep"),
            out_ep=_int(config.get("out_ep", 0x01), "out_ep"),
            **common,
        )
    device = config.get("device")
    if not device:
        raise ValueError("the serial escpos printer needs a 'device' (e.g. /dev/ttyUSB0)")
    return EscPosPrinter.serial(
        str(device), baudrate=_int(config.get("baudrate", 19200), "baudrate"), **common
    )


def test_print(printer: Printer, *, language: str = "es") -> PrintResult:
    """Print the technician's test page (every block of the receipt, accents, ✓, a QR)."""
    return printer.print_receipt(technician_receipt(printer.name, language=language))


test_print.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
