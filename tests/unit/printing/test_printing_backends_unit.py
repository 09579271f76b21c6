"""Backend logic without hardware: spool writes, state mapping, IPP codec, factory validation."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from kiosk.domain.ports import Printer, PrinterState
from kiosk.printing import ipp
from kiosk.printing.cups import CupsPrinter, state_from_reasons
from kiosk.printing.escpos_printer import EscPosPrinter, RawStatus, interpret_status
from kiosk.printing.factory import build_printer, test_print
from kiosk.printing.samples import minimal_receipt, sample_receipt
from kiosk.printing.spool import SpoolPrinter

# ---------------------------------------------------------------- spool


def test_spool_writes_the_pdf_atomically(tmp_path: Path) -> None:
    printer = SpoolPrinter(tmp_path / "spool")
    result = printer.print_receipt(sample_receipt())
    assert result.ok and result.status.state is PrinterState.READY
    assert result.output_path is not None
    path = Path(result.output_path)
    assert path.parent == tmp_path / "spool"
    assert path.name.startswith("GD-042-")
    assert path.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_spool_a4(tmp_path: Path) -> None:
    from pypdf import PdfReader

    result = SpoolPrinter(tmp_path, paper="a4").print_receipt(minimal_receipt())
    assert result.ok and result.output_path
    box = PdfReader(result.output_path).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_spool_unwritable_folder_is_not_ok(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = SpoolPrinter(folder).print_receipt(sample_receipt())
    finally:
        folder.chmod(0o700)
    assert not result.ok and result.status.state is PrinterState.ERROR


def test_spool_folder_that_cannot_exist_is_not_ok(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = SpoolPrinter(blocker / "spool").print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.ERROR
    assert result.error


def test_spool_rendering_failure_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("layout bug")

    monkeypatch.setattr("kiosk.printing.spool.render_receipt_pdf", broken)
    result = SpoolPrinter(tmp_path).print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.ERROR
    assert "layout bug" in (result.error or "")


def test_backends_satisfy_the_printer_protocol(tmp_path: Path) -> None:
    printers: list[Printer] = [
        SpoolPrinter(tmp_path),
        CupsPrinter("KioskPDF"),
        EscPosPrinter.network("127.0.0.1"),
    ]
    for printer in printers:
        assert isinstance(printer.name, str) and printer.name
        assert callable(printer.status) and callable(printer.print_receipt)


# ---------------------------------------------------------------- CUPS state reasons


@pytest.mark.parametrize(
    ("reasons", "state"),
    [
        (["none"], PrinterState.READY),
        (["media-empty-error"], PrinterState.PAPER_OUT),
        (["media-needed"], PrinterState.PAPER_OUT),
        (["media-low-report"], PrinterState.PAPER_NEAR_END),
        (["door-open-error"], PrinterState.COVER_OPEN),
        (["cover-open"], PrinterState.COVER_OPEN),
        (["offline-report"], PrinterState.OFFLINE),
        (["paused"], PrinterState.STOPPED),
        (["toner-low-report", "cups-waiting-for-job-completed"], PrinterState.READY),
        (["marker-supply-empty-error"], PrinterState.ERROR),
        (["media-low-report", "media-empty-error", "paused"], PrinterState.PAPER_OUT),
    ],
)
def test_cups_state_reasons_map_to_printer_states(reasons: list[str], state: PrinterState) -> None:
    assert state_from_reasons(reasons)[0] is state


def test_cups_missing_tools_give_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    printer = CupsPrinter("KioskPDF")
    assert printer.status().state is PrinterState.ERROR
    result = printer.print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.ERROR
    assert "cups-client" in (result.error or "")


def test_cups_media_matches_the_receipt_length() -> None:
    printer = CupsPrinter("Q")
    assert printer._media_option(226.77 * 2) == "Custom.80x160mm"
    assert CupsPrinter("Q", paper="a4")._media_option(842) == "A4"
    assert CupsPrinter("Q", media="")._media_option(500) == ""


# ---------------------------------------------------------------- IPP codec


def test_ipp_request_encoding() -> None:
    body = ipp.encode_get_job(42, "kiosk", request_id=7)
    assert body[:8] == struct.pack(">BBHI", 2, 0, 0x0009, 7)
    assert b"ipp://localhost/jobs/42" in body and body.endswith(b"\x03")


def test_ipp_response_decoding() -> None:
    def attr(tag: int, name: str, value: bytes) -> bytes:
        return (
            struct.pack(">BH", tag, len(name))
            + name.encode()
            + struct.pack(">H", len(value))
            + value
        )

    response = (
        struct.pack(">BBHI", 2, 0, 0x0000, 1)
        + b"\x01"
        + attr(0x47, "attributes-charset", b"utf-8")
        + b"\x02"
        + attr(0x23, "job-state", struct.pack(">i", 7))
        + attr(0x44, "job-state-reasons", b"job-canceled-by-user")
        + attr(0x44, "", b"processing-to-stop-point")
        + b"\x03"
    )
    status, attrs = ipp.decode_response(response)
    assert status == 0
    assert attrs["job-state"] == [7]
    assert attrs["job-state-reasons"] == ["job-canceled-by-user", "processing-to-stop-point"]


# ---------------------------------------------------------------- ESC/POS status bits

OK = 0x12


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        (RawStatus(OK, OK, OK, OK), PrinterState.READY),
        (RawStatus(OK, OK, OK, OK | 0x0C), PrinterState.PAPER_NEAR_END),
        (RawStatus(OK | 0x08, OK | 0x20, OK, OK | 0x60), PrinterState.PAPER_OUT),
        (RawStatus(OK | 0x08, OK | 0x04, OK, OK), PrinterState.COVER_OPEN),
        (RawStatus(OK | 0x08, OK | 0x40, OK | 0x08, OK), PrinterState.ERROR),
        (RawStatus(OK | 0x08, OK, OK, OK), PrinterState.OFFLINE),
        (RawStatus(None, None, None, None), PrinterState.OFFLINE),
        (RawStatus(0xFF, 0x00, None, None), PrinterState.OFFLINE),  # garbage is no answer
        (RawStatus(OK, OK, None, OK | 0x60), PrinterState.PAPER_OUT),  # partial answers count
    ],
)
def test_dle_eot_bits_map_to_printer_states(raw: RawStatus, state: PrinterState) -> None:
    assert interpret_status(raw).state is state


# ---------------------------------------------------------------- factory


def test_factory_builds_each_backend(tmp_path: Path) -> None:
    spool = build_printer({"backend": "spool", "folder": str(tmp_path), "paper": "a4"})
    assert isinstance(spool, SpoolPrinter) and spool.paper == "a4"
    cups = build_printer({"backend": "cups", "queue": "KioskPDF", "timeout": 12})
    assert isinstance(cups, CupsPrinter) and cups.timeout == 12
    net = build_printer(
        {
            "backend": "escpos",
            "connection": "network",
            "host": "127.0.0.1",
            "port": 9100,
            "profile": "TM-T20II",
            "mode": "text",
        }
    )
    assert isinstance(net, EscPosPrinter) and net.name == "escpos:tcp://127.0.0.1:9100"
    assert net.mode == "text"
    usb = build_printer(
        {"backend": "escpos", "connection": "usb", "vendor_id": "0x04b8", "product_id": 3605}
    )
    assert usb.name == "escpos:usb:04b8:0e15"
    serial = build_printer({"backend": "escpos", "connection": "serial", "device": "/dev/ttyS0"})
    assert serial.name == "escpos:serial:/dev/ttyS0"
    assert isinstance(serial, EscPosPrinter) and serial.mode == "text"  # slow link: no raster


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"backend": "fax"}, "unknown printer backend"),
        ({"backend": "cups"}, "queue"),
        ({"backend": "cups", "queue": "Q", "colour": True}, "unknown settings"),
        ({"backend": "cups", "queue": "Q", "timeout": -1}, "positive"),
        ({"backend": "spool", "paper": "letter"}, "paper"),
        ({"backend": "escpos", "connection": "network"}, "host"),
        ({"backend": "escpos", "connection": "usb", "vendor_id": "0x04b8"}, "product_id"),
        (
            {"backend": "escpos", "connection": "usb", "vendor_id": "epson", "product_id": 1},
            "integer",
        ),
        ({"backend": "escpos", "connection": "serial"}, "device"),
        ({"backend": "escpos", "connection": "bluetooth"}, "unknown printer backend"),
        ({"backend": "escpos", "host": "h", "mode": "pdf"}, "mode"),
    ],
)
def test_factory_rejects_bad_settings(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_printer(config)


def test_factory_default_spool_folder_is_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    printer = build_printer({"backend": "spool"})
    assert isinstance(printer, SpoolPrinter)
    assert printer.folder == tmp_path / "kiosk-cau" / "receipts"


def test_technician_test_print(tmp_path: Path) -> None:
    from pypdf import PdfReader

    result = test_print(SpoolPrinter(tmp_path))
    assert result.ok and result.output_path
    text = PdfReader(result.output_path).pages[0].extract_text()
    assert "PÁGINA DE PRUEBA" in text and "áéíóú" in text


def test_unreachable_usb_and_serial_printers_report_offline() -> None:
    usb = build_printer({"backend": "escpos", "connection": "usb", "vendor_id": 1, "product_id": 1})
    result = usb.print_receipt(sample_receipt())
    assert not result.ok
    # OFFLINE when pyusb is installed (device not found), ERROR naming pyusb when it is not.
    assert result.status.state in (PrinterState.OFFLINE, PrinterState.ERROR)
    serial = build_printer(
        {"backend": "escpos", "connection": "serial", "device": "/dev/nonexistent-tty"}
    )
    result = serial.print_receipt(sample_receipt())
    assert not result.ok and result.status.state in (PrinterState.OFFLINE, PrinterState.ERROR)


# ---------------------------------------------------------------- fallback


def test_fallback_prints_on_the_next_printer_when_the_first_fails(tmp_path: Path) -> None:
    from kiosk.printing.fallback import FallbackPrinter

    blocker = tmp_path / "file"
    blocker.write_text("")
    broken, good = SpoolPrinter(blocker / "x"), SpoolPrinter(tmp_path / "ok")
    printer = FallbackPrinter([broken, good])
    assert printer.status().can_print and "using" in printer.status().detail
    result = printer.print_receipt(sample_receipt())
    assert result.ok and result.output_path and Path(result.output_path).parent == tmp_path / "ok"


def test_fallback_reports_the_primary_problem_when_all_fail(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    printer = build_printer(
        {
            "backend": "fallback",
            "printers": [
                {"backend": "spool", "folder": str(blocker / "a")},
                {"backend": "cups", "queue": "NoSuchKioskQueue"},
            ],
        }
    )
    result = printer.print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.ERROR
    assert "spool:" in (result.error or "") and "cups:NoSuchKioskQueue" in (result.error or "")


def test_fallback_config_is_validated() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        build_printer({"backend": "fallback", "printers": []})
    with pytest.raises(ValueError, match="nested"):
        build_printer({"backend": "fallback", "printers": [{"backend": "fallback"}]})


def test_bench_reports_medians_and_baselines() -> None:
    from kiosk.printing.bench import bench_receipt

    figures = bench_receipt(3, cold=False)
    for key in ("roll80", "a4", "baseline_standard_fonts_roll80", "escpos_raster", "escpos_text"):
        fig = figures[key]
        assert isinstance(fig, dict) and fig["median_ms"] > 0 and fig["p95_ms"] >= fig["median_ms"]
    assert isinstance(figures["meets_target"], bool)


def test_concurrent_renders_give_identical_pdfs() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from kiosk.printing.receipt import render_receipt_pdf

    receipt = sample_receipt()
    expected = render_receipt_pdf(receipt)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: render_receipt_pdf(receipt), range(12)))
    assert all(r == expected for r in results)


def test_technician_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from kiosk.printing.__main__ import main

    config = json.dumps({"backend": "spool", "folder": str(tmp_path)})
    assert main([config]) == 0
    out = capsys.readouterr().out
    assert "test page: printed" in out and str(tmp_path) in out
    assert main([config, "--status-only"]) == 0
    assert main(['{"backend": "fax"}']) == 2
