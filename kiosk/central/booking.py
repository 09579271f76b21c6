"""The online turnero's side: book a turn, sign its confirmation, render the confirmation PDF."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kiosk.central.models import Turn
from kiosk.central.timeutil import as_utc, utcnow
from kiosk.domain.turns import TurnClaims, id_check_digest
from kiosk.turns.token import encode_token
from kiosk.turns.trust import SigningKey

ECUADOR = ZoneInfo("America/Guayaquil")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


class BookingError(ValueError):
    pass


@dataclass(frozen=True)
class BookingRequest:
    agency_id: str
    tramite_id: str
    slot_start: datetime
    id_number: str
    email: str
    mobile: str
    province: str

    def __repr__(self) -> str:  # the ID number and contacts never reach a log or traceback
        return f"BookingRequest(agency={self.agency_id!r}, tramite={self.tramite_id!r})"

    def validate(self) -> None:
        if not (self.agency_id and self.tramite_id and self.province):
            raise BookingError("agency_id, tramite_id and province are required")
        if self.slot_start.tzinfo is None:
            raise BookingError("slot_start must carry a timezone")
        if self.slot_start.second or self.slot_start.microsecond:
            raise BookingError("slot_start must be on a whole minute")
        if not (self.id_number.isalnum() and 6 <= len(self.id_number) <= 20):
            raise BookingError("id_number: expected 6..20 letters or digits")
        if not _EMAIL_RE.match(self.email):
            raise BookingError("email: invalid")
        if not (self.mobile.lstrip("+").isdigit() and 7 <= len(self.mobile) <= 15):
            raise BookingError("mobile: invalid")


def salted_id_hash(salt: str, id_number: str) -> str:
    return hashlib.sha256(f"{salt}:{id_number}".encode()).hexdigest()


def book_turn(session: Session, req: BookingRequest, key: SigningKey, validity: timedelta) -> Turn:
    req.validate()
    turn_id = secrets.token_hex(8)  # 64 bits; packs into 8 bytes of the token
    slot = as_utc(req.slot_start)
    claims = TurnClaims(
        turn_id=turn_id,
        agency_id=req.agency_id,
        tramite_id=req.tramite_id,
        slot_start=slot,
        expires_at=slot + validity,
        id_check=id_check_digest(turn_id, req.id_number),
        id_hint=req.id_number[-2:],
    )
    salt = secrets.token_hex(16)
    turn = Turn(
        turn_id=turn_id,
        agency_id=req.agency_id,
        tramite_id=req.tramite_id,
        slot_start=slot,
        expires_at=claims.expires_at,
        id_salt=salt,
        id_hash=salted_id_hash(salt, req.id_number),
        id_hint=claims.id_hint,
        email=req.email,
        mobile=req.mobile,
        province=req.province,
        token=encode_token(claims, key),
        created_at=utcnow(),
    )
    session.add(turn)
    session.flush()
    return turn


def confirmation_pdf(turn: Turn) -> bytes:
    """The "Confirmación del Turno en Línea": what the citizen shows at the kiosk (no full ID)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=10)
    qr.add_data(turn.token)
    qr.make(fit=True)
    img = qr.make_image()
    png = io.BytesIO()
    img.save(png)
    png.seek(0)

    slot = as_utc(turn.slot_start).astimezone(ECUADOR)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle("Confirmación del Turno en Línea")
    c.setAuthor("Instituto Ecuatoriano de Seguridad Social")
    _width, height = A4
    y = height - 30 * mm
    c.setFont("Helvetica-Bold", 16)
    c.drawString(20 * mm, y, "Instituto Ecuatoriano de Seguridad Social")
    y -= 10 * mm
    c.setFont("Helvetica-Bold", 14)
    c.drawString(20 * mm, y, "Confirmación del Turno en Línea")
    c.setFont("Helvetica", 11)
    for label, value in (
        ("Turno", turn.turn_id),
        ("Agencia", turn.agency_id),
        ("Trámite", turn.tramite_id),
        ("Fecha", slot.strftime("%d/%m/%Y")),
        ("Hora", slot.strftime("%H:%M")),
        ("Identificación", f"terminada en ··{turn.id_hint}"),
    ):
        y -= 8 * mm
        c.drawString(20 * mm, y, f"{label}: {value}")
    size = 50 * mm  # inside the 35-60 mm range kiosk cameras read from paper
    c.drawImage(ImageReader(png), 20 * mm, y - size - 10 * mm, size, size)
    y -= size + 20 * mm
    for line in (
        "Presente este código QR en el quiosco de la agencia, impreso o en la pantalla de su",
        "teléfono, entre 30 minutos antes y 15 minutos después de la hora de su turno.",
        "El servicio es gratuito.",
    ):
        c.drawString(20 * mm, y, line)
        y -= 6 * mm
    c.showPage()
    c.save()
    return out.getvalue()
