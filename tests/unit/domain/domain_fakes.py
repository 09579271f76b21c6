"""Shared helpers for the domain tests (a tiny fake clock, the real catalog, documents).

Not a conftest: the test tree has no __init__ files below tests/, and a second module named
`conftest` could clash with other directories' ones.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.domain.records import CapturedDocument

REPO = Path(__file__).resolve().parents[3]
CATALOG_DIR = REPO / "resources" / "catalog"
GYE = ZoneInfo("America/Guayaquil")


class FakeClock:
    """Wall and monotonic time that only move when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 10, 0, tzinfo=GYE)  # a Wednesday
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def document(requirement_id: str, data: bytes | None = None) -> CapturedDocument:
    payload = data if data is not None else f"jpeg of {requirement_id}".encode()
    return CapturedDocument(
        requirement_id, "image/jpeg", payload, hashlib.sha256(payload).hexdigest()
    )


def cedula_check_digit(first_nine: str) -> int:
    """Independent implementation of the Registro Civil modulo-10 (for the tests only)."""
    coefficients = [2, 1, 2, 1, 2, 1, 2, 1, 2]
    total = 0
    for digit, coefficient in zip(first_nine, coefficients, strict=True):
        product = int(digit) * coefficient
        if product >= 10:
            product -= 9
        total += product
    remainder = total % 10
    return 0 if remainder == 0 else 10 - remainder


def make_cedula(first_nine: str) -> str:
    return first_nine + str(cedula_check_digit(first_nine))
