"""Sample receipts: the technician's test page, the benchmark and the golden tests use them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.domain.ports import Receipt
from kiosk.i18n import Translator

ECUADOR = timezone(timedelta(hours=-5), "ECT")


def sample_receipt(**changes: object) -> Receipt:
    """A realistic receipt with every optional block filled (fixed date: stable goldens)."""
    values: dict[str, object] = {
        "ticket_id": "7f3c2a9e-51b0-4d7e-9a51-0c6d2e8f4b11",
        "ticket_number": "GD-042",
        "agency_name": "CAU Quito Centro — Av. 10 de Agosto",
        "tramite_name": (
            "Certificado para atención médica por Seguro General de Riesgos del Trabajo"
        ),
        "service_area": "Gestión Documental",
        "issued_at": datetime(2026, 11, 25, 9, 41, tzinfo=ECUADOR),
        "kind": "appointment",
        "status_url": "https://turnos.iess.gob.ec/t/GD042-7F3C2A9E",
        "appointment_at": datetime(2026, 11, 25, 10, 0, tzinfo=ECUADOR),
        "queue_position": 4,
        "wait_minutes": (10, 20),
        "captured_documents": ("Cédula de ciudadanía", "Solicitud firmada (manuscrita)"),
        "originals_to_show": ("Cédula de ciudadanía original", "Autorización del tercero"),
        "pending_sync": True,
        "priority": True,
    }
    values.update(changes)
    return Receipt(**values)  # type: ignore[arg-type]


def minimal_receipt(**changes: object) -> Receipt:
    """A walk-in receipt with no optional block."""
    values: dict[str, object] = {
        "ticket_id": "0b1e-minimal",
        "ticket_number": "A-7",
        "agency_name": "CAU Guayaquil Norte",
        "tramite_name": "Certificado de afiliación",
        "service_area": "Información",
        "issued_at": datetime(2026, 11, 25, 14, 5, tzinfo=ECUADOR),
        "kind": "walk_in",
        "status_url": "https://turnos.iess.gob.ec/t/A7",
    }
    values.update(changes)
    return Receipt(**values)  # type: ignore[arg-type]


def technician_receipt(
    printer_name: str, now: datetime | None = None, language: str = "es"
) -> Receipt:
    """The technician's test page: same layout, every block, the accented characters."""
    tr = Translator(language)
    now = now or datetime.now(ECUADOR)
    return Receipt(
        ticket_id=f"test-{now:%Y%m%d-%H%M%S}",
        ticket_number="000",
        agency_name=tr("receipt.test_title"),
        tramite_name=tr("receipt.test_tramite"),
        service_area=tr("receipt.test_area"),
        issued_at=now,
        kind="walk_in",
        status_url="https://www.iess.gob.ec/",
        queue_position=1,
        wait_minutes=(0, 5),
        captured_documents=(tr("receipt.test_chars"),),
        originals_to_show=(tr("receipt.test_printer", name=printer_name),),
        language=language,
    )
