"""The composition root with real parts: SQLite store, spool printer, scanning engine, and the
real central service on loopback. Only the citizen (the visit flow's intents) is simulated."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from kiosk.app import AppServices, build
from kiosk.config import KioskSettings
from kiosk.domain.records import CapturedDocument
from kiosk.domain.turns import TurnOutcome
from kiosk.domain.visit import Step
from kiosk.printing.spool import SpoolPrinter
from kiosk.scanning import render
from tests.integration.central_helpers import CentralServer, central_server_fixture  # noqa: F401

TZ = ZoneInfo("America/Guayaquil")
CEDULA = "1710034065"


class StepClock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value

    def monotonic(self) -> float:
        return time.monotonic()


@pytest.fixture
def clock() -> StepClock:
    return StepClock(datetime.now(TZ).replace(second=0, microsecond=0))


@pytest.fixture
def services(tmp_path: Path, clock: StepClock) -> Iterator[AppServices]:
    settings = KioskSettings(kiosk_id="kiosk-it", agency_id="CAU-QUITO-CENTRO")
    app = build(
        settings, data_dir=tmp_path / "data", clock=clock, printer=SpoolPrinter(tmp_path / "spool")
    )
    yield app
    app.close()


def _doc(requirement_id: str) -> CapturedDocument:
    data = f"jpeg bytes of {requirement_id}".encode()
    return CapturedDocument(requirement_id, "image/jpeg", data, hashlib.sha256(data).hexdigest())


def _walk_in(app: AppServices) -> tuple[object, object]:
    flow = app.new_flow()
    flow.start_walk_in()
    flow.choose_tramite("certificado-atencion-medica-sgrt")
    flow.answer("on_behalf", "self")
    flow.answer("id_type", "cedula")
    flow.answer("priority", "no")
    assert flow.identify(CEDULA).ok
    flow.checklist_confirmed()
    while flow.step is Step.CAPTURE:
        flow.document_captured(_doc(flow.capture_id or ""))
    ticket = app.issue_ticket(flow.review_confirmed())
    flow.ticket_issued(ticket)
    return flow, ticket


def test_offline_walk_in_is_stored_printed_and_reprintable(services: AppServices) -> None:
    flow, ticket = _walk_in(services)
    receipt = services.receipt_for(flow)
    assert receipt.ticket_number == ticket.number and receipt.ticket_number.startswith("D-")
    assert receipt.captured_documents == ("Cédula de identidad", "Solicitud firmada")
    assert receipt.originals_to_show == ("Cédula de identidad",)
    assert receipt.pending_sync is True and receipt.queue_position is None  # no central
    assert receipt.status_url.endswith(ticket.ticket_id)
    result = services.print_receipt(receipt)
    assert result.ok and result.output_path and Path(result.output_path).exists()
    assert services.store.get_ticket(ticket.ticket_id).printed is True
    Path(result.output_path).unlink()  # the citizen walked away with the first one
    again = services.reprint(ticket.ticket_id)
    assert again.ok and again.output_path and Path(again.output_path).exists()
    assert services.sync_health().backlog >= 1  # ticket_issued waits in the outbox


def test_failed_print_marks_the_ticket_for_staff(services: AppServices) -> None:
    class Broken:
        name = "broken"

        def status(self) -> object:
            raise OSError("usb gone")

        def print_receipt(self, receipt: object) -> object:
            raise OSError("usb gone")

    services.printer = Broken()  # type: ignore[assignment]
    flow, ticket = _walk_in(services)
    result = services.print_receipt(services.receipt_for(flow))
    assert not result.ok
    assert [t.ticket_id for t in services.store.tickets_not_printed()] == [ticket.ticket_id]


def test_make_document_straightens_and_fits_one_megabyte(services: AppServices) -> None:
    flow, _ = _walk_in(services)
    item = flow.checklist()[0]
    desk = np.full((720, 1280, 3), 60, np.uint8)
    card = render.document("id_card")
    quad = np.array([[400, 200], [880, 210], [870, 510], [410, 500]], np.float32)
    frame = render.place(desk, card, quad)
    doc = services.make_document(item, frame, tuple(map(tuple, quad.tolist())))
    assert doc.content_type == "image/jpeg" and doc.data[:2] == b"\xff\xd8"
    assert len(doc.data) <= 1_000_000
    assert doc.sha256 == hashlib.sha256(doc.data).hexdigest()


def test_online_turn_checks_in_syncs_and_gets_a_queue_position(
    services: AppServices, central_server: CentralServer, clock: StepClock
) -> None:
    _, credential = central_server.enrol("kiosk-it", "CAU-QUITO-CENTRO")
    services.attach_central(central_server.base_url, credential)
    deadline = time.monotonic() + 15
    while not services.trust_path.exists():
        assert time.monotonic() < deadline, "trust list never arrived"
        time.sleep(0.05)
    slot = clock.now() + timedelta(minutes=10)
    token = central_server.book_turn(
        agency_id="CAU-QUITO-CENTRO",
        tramite_id="codigo-extranjeros",
        slot_start=slot.isoformat(),
        id_number=CEDULA,
        email="x@example.invalid",
        mobile="0990000000",
        province="Pichincha",
    )["token"]
    assert services.verify_turn("IESS1:not-a-token").outcome is not TurnOutcome.OK
    decision = services.verify_turn(token)
    assert decision.ok, decision.outcome
    flow = services.new_flow()
    flow.start_with_turn()
    flow.turn_read(decision)
    assert flow.confirm_digits(CEDULA[-4:])
    flow.answer("on_behalf", "self")
    flow.answer("priority", "no")
    flow.checklist_confirmed()
    while flow.step is Step.CAPTURE:
        flow.document_captured(_doc(flow.capture_id or ""))
    ticket = services.issue_ticket(flow.review_confirmed())
    flow.ticket_issued(ticket)
    receipt = services.receipt_for(flow)
    assert receipt.kind == "appointment" and receipt.appointment_at == slot
    assert receipt.pending_sync is False
    assert receipt.queue_position == 1 and receipt.wait_minutes is not None
    # the same turn cannot be used twice, even offline
    assert services.verify_turn(token).outcome is TurnOutcome.ALREADY_USED


def test_retention_applies_without_a_central(services: AppServices, clock: StepClock) -> None:
    _walk_in(services)
    files = lambda: [p for p in (services.data_dir / "documents").rglob("*") if p.is_file()]  # noqa: E731
    assert len(files()) == 2  # encrypted, never uploaded: no central
    assert services.housekeeping() == 0  # within the retention period nothing goes
    clock.value += timedelta(days=services.settings.retention_days, minutes=1)
    assert services.housekeeping() == 2
    assert files() == []


def test_close_stops_the_housekeeping_thread(tmp_path: Path, clock: StepClock) -> None:
    import threading

    app = build(
        KioskSettings(), data_dir=tmp_path / "d", clock=clock, printer=SpoolPrinter(tmp_path / "s")
    )
    assert any(t.name == "housekeeping" for t in threading.enumerate())
    app.close()
    assert not any(t.name == "housekeeping" for t in threading.enumerate())
