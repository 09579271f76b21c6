"""ESC/POS over real transports: a loopback TCP printer (port 9100 stand-in) and a serial
printer behind a pseudo-terminal. The bytes the printer receives are parsed back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import zxingcpp

from kiosk.domain.ports import PrinterState
from kiosk.printing.escpos_printer import EscPosPrinter, render_receipt_escpos
from kiosk.printing.factory import build_printer, test_print
from kiosk.printing.fake_escpos import FakeNetworkPrinter, FakeSerialPrinter, parse_escpos
from kiosk.printing.samples import sample_receipt

URL = "https://turnos.iess.gob.ec/t/GD042-7F3C2A9E"


@pytest.fixture
def fake() -> Iterator[FakeNetworkPrinter]:
    with FakeNetworkPrinter() as printer:
        yield printer


def network(fake: FakeNetworkPrinter, mode: str = "text") -> EscPosPrinter:
    printer = build_printer(
        {
            "backend": "escpos",
            "connection": "network",
            "host": fake.host,
            "port": fake.port,
            "profile": "TM-T20II",
            "mode": mode,
            "status_timeout": 0.5,
        }
    )
    assert isinstance(printer, EscPosPrinter)
    printer.settle = 0.05
    return printer


def test_text_receipt_reaches_the_printer_with_qr_and_cut(fake: FakeNetworkPrinter) -> None:
    result = network(fake).print_receipt(sample_receipt())
    assert result.ok, result
    assert result.status.state is PrinterState.READY
    job = fake.parsed()
    assert job.status_queries[:4] == [1, 2, 3, 4]  # asked before sending anything
    assert job.status_queries[-4:] == [1, 2, 3, 4]  # and after
    text = job.text
    for expected in (
        "GD-042",
        "ATENCIÓN PRIORITARIA",
        "Certificado para atención médica",
        "Ventanilla: Gestión Documental",
        "entre 10 y 20 minutos",
        "√ Cédula de ciudadanía",
        "pendiente de sincronización",
        "LOPDP",
    ):
        assert expected in text, expected
    assert job.qr_data == [URL] and job.qr_printed == 1  # GS ( k store + print
    assert job.cuts == 1  # GS V
    assert job.unknown == []
    raw = fake.job_bytes()
    assert raw.startswith(b"\x1b@")  # ESC @ first: no leftover mode from a previous job
    assert b"\x1d(k" in raw and URL.encode() in raw and b"\x1dV" in raw


def test_raster_receipt_carries_a_readable_qr(fake: FakeNetworkPrinter) -> None:
    result = network(fake, mode="raster").print_receipt(sample_receipt())
    assert result.ok, result
    job = fake.parsed()
    assert job.cuts == 1 and job.unknown == []
    image = job.raster_image()
    assert image.width == 576  # 72 mm at 203 dpi
    decoded = [
        b.text
        for b in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    ]
    assert decoded == [URL]


def test_paper_out_sends_no_receipt_bytes(fake: FakeNetworkPrinter) -> None:
    fake.paper = "out"
    result = network(fake).print_receipt(sample_receipt())
    assert not result.ok
    assert result.status.state is PrinterState.PAPER_OUT
    assert fake.job_bytes() == b""  # only status queries went out
    assert fake.parsed().status_queries == [1, 2, 3, 4]


def test_cover_open_is_reported(fake: FakeNetworkPrinter) -> None:
    fake.cover_open = True
    printer = network(fake)
    assert printer.status().state is PrinterState.COVER_OPEN
    result = printer.print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.COVER_OPEN
    assert fake.job_bytes() == b""


def test_paper_near_end_still_prints_and_says_so(fake: FakeNetworkPrinter) -> None:
    fake.paper = "near_end"
    result = network(fake).print_receipt(sample_receipt())
    assert result.ok and result.status.state is PrinterState.PAPER_NEAR_END
    assert fake.parsed().cuts == 1


def test_paper_running_out_mid_receipt_is_not_ok(fake: FakeNetworkPrinter) -> None:
    fake.paper_out_after = 200  # bytes: the roll ends early in the receipt
    result = network(fake).print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.PAPER_OUT


def test_printer_that_never_answers_status_is_offline(fake: FakeNetworkPrinter) -> None:
    fake.answer_status = False
    result = network(fake).print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.OFFLINE
    assert fake.job_bytes() == b""


def test_status_checks_can_be_disabled_for_mute_printers(fake: FakeNetworkPrinter) -> None:
    fake.answer_status = False
    printer = network(fake)
    printer.check_status = False
    result = printer.print_receipt(sample_receipt())
    assert result.ok
    assert fake.parsed().cuts == 1 and fake.parsed().status_queries == []


def test_nothing_listening_is_offline() -> None:
    with FakeNetworkPrinter() as fake:
        port = fake.port
    # The fake is gone: nothing listens on that port any more.
    printer = build_printer(
        {
            "backend": "escpos",
            "connection": "network",
            "host": "127.0.0.1",
            "port": port,
            "timeout": 1,
        }
    )
    result = printer.print_receipt(sample_receipt())
    assert not result.ok and result.status.state is PrinterState.OFFLINE
    assert printer.status().state is PrinterState.OFFLINE


def test_technician_test_page_over_the_network(fake: FakeNetworkPrinter) -> None:
    result = test_print(network(fake))
    assert result.ok
    assert "PÁGINA DE PRUEBA" in fake.parsed().text


def test_serial_printer_through_a_pseudo_terminal() -> None:
    pytest.importorskip("serial", reason="pyserial not installed")
    with FakeSerialPrinter() as fake:
        printer = build_printer(
            {
                "backend": "escpos",
                "connection": "serial",
                "device": fake.device,
                "baudrate": 115200,
                "mode": "text",
                "status_timeout": 0.5,
            }
        )
        assert isinstance(printer, EscPosPrinter)
        printer.settle = 0.05
        assert printer.status().state is PrinterState.READY
        result = printer.print_receipt(sample_receipt())
        assert result.ok, result
        job = fake.parsed()
        assert "GD-042" in job.text and job.qr_data == [URL] and job.cuts == 1
        fake.reset()
        fake.paper = "out"
        result = printer.print_receipt(sample_receipt())
        assert not result.ok and result.status.state is PrinterState.PAPER_OUT
        assert fake.job_bytes() == b""


def test_rendition_round_trip_without_a_printer() -> None:
    data = render_receipt_escpos(sample_receipt(language="en"), mode="text")
    job = parse_escpos(data)
    assert "YOUR TICKET" in job.text and job.qr_data == [URL] and job.cuts == 1
