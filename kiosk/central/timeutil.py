"""UTC helpers: everything is stored in UTC (SQLite keeps no offset, so we normalise)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """Stored value back to an aware UTC datetime (SQLite returns it naive)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_iso(value: object) -> datetime:
    """Aware ISO-8601 -> UTC; ValueError for anything else (a naive time is ambiguous)."""
    if not isinstance(value, str):
        raise ValueError("expected an ISO-8601 string")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO-8601 time") from None  # never echo the input into logs
    if dt.tzinfo is None:
        raise ValueError("time without timezone")
    return dt.astimezone(UTC)


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else as_utc(dt).isoformat()
