"""Fakes for tests and the demo: a controllable clock and a visit factory. No personal data:
citizen refs are random hashes and document bytes are synthetic."""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import datetime, timedelta, timezone

from kiosk.domain.ports import Clock
from kiosk.domain.records import CapturedDocument, CompletedVisit

ECUADOR = timezone(timedelta(hours=-5), "ECT")


class FakeClock:
    """A Clock whose time only moves when told to. Thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=ECUADOR)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, when: datetime) -> None:
        with self._lock:
            self._mono += max(0.0, (when - self._now).total_seconds())
            self._now = when


def fake_jpeg(size: int = 2048, seed: int = 0) -> bytes:
    """Bytes that start like a JPEG (SOI + JFIF marker) and end like one; not decodable."""
    body = hashlib.shake_256(f"doc-{seed}".encode()).digest(max(0, size - 22))
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + body + b"\xff\xd9"
    )


def captured(
    requirement_id: str = "cedula", *, size: int = 2048, seed: int = 0
) -> CapturedDocument:
    data = fake_jpeg(size, seed)
    return CapturedDocument(requirement_id, "image/jpeg", data, hashlib.sha256(data).hexdigest())


def make_visit(
    clock: Clock,
    *,
    visit_id: str | None = None,
    letter: str = "G",
    kind: str = "walk_in",
    turn_id: str | None = None,
    documents: int = 1,
    agency_id: str = "cau-quito-norte",
    kiosk_id: str = "k1",
    priority: bool = False,
) -> CompletedVisit:
    now = clock.now()
    return CompletedVisit(
        visit_id=visit_id or uuid.uuid4().hex,
        agency_id=agency_id,
        kiosk_id=kiosk_id,
        tramite_id="sgrt-certificado-atencion-medica",
        kind="appointment" if kind == "appointment" else "walk_in",
        started_at=now - timedelta(minutes=3),
        completed_at=now,
        service_letter=letter,
        answers={"on_behalf": "self", "id_kind": "cedula"},
        turn_id=turn_id,
        slot_start=now.replace(minute=0, second=0, microsecond=0) if turn_id else None,
        citizen_ref=hashlib.sha256(uuid.uuid4().bytes).hexdigest()[:32],
        id_type="cedula",
        priority=priority,
        documents=tuple(captured(f"req-{i}", seed=i) for i in range(documents)),
    )
