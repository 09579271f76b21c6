"""Kiosk settings: defaults, a TOML file (--config), validation with clear messages.

Qt-free. Staff changes go through `KioskSettings.replace_validated`, so a bad value is refused
with a message naming the field, and the running kiosk keeps its previous settings.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(ValueError):
    def __init__(self, field_name: str, problem: str, source: str = "") -> None:
        self.field_name, self.problem, self.source = field_name, problem, source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}setting '{field_name}': {problem}")


DEFAULT_TRAMITES = ("certificado-atencion-medica-sgrt", "codigo-extranjeros", "cita-medica")

# the type each setting must have once read (a TOML file can hold any type anywhere)
_TEXT = ("agency_id", "agency_name", "kiosk_id", "timezone", "language", "status_url_base",
         "staff_pin_hash")
_WHOLE = ("arrival_early_minutes", "arrival_late_minutes", "idle_timeout_s", "idle_warning_s",
          "done_timeout_s", "ticket_block_start", "ticket_block_size", "retention_days")
_FLAGS = ("high_contrast", "large_text", "demo")
_TABLES = ("camera", "printer", "central")


def _valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@dataclass(frozen=True)
class KioskSettings:
    agency_id: str = "CAU-QUITO-CENTRO"
    agency_name: str = "CAU Quito Centro"
    kiosk_id: str = "kiosk-01"
    tramites: tuple[str, ...] = DEFAULT_TRAMITES  # offered, in menu order
    timezone: str = "America/Guayaquil"
    arrival_early_minutes: int = 30
    arrival_late_minutes: int = 15
    idle_timeout_s: int = 60  # no touch for this long → "¿Sigue ahí?"
    idle_warning_s: int = 20  # countdown shown before the visit is wiped
    done_timeout_s: int = 20  # the receipt screen returns home by itself
    language: str = "es"
    high_contrast: bool = False
    large_text: bool = False
    ticket_block_start: int = 100
    ticket_block_size: int = 100
    retention_days: int = 7
    status_url_base: str = "http://127.0.0.1:8765/t/"
    camera: dict[str, Any] = field(
        default_factory=lambda: {
            "source": "device", "device": 0, "width": 1280, "height": 720, "fps": 30
        }
    )
    printer: dict[str, Any] = field(default_factory=lambda: {"backend": "spool"})
    central: dict[str, Any] = field(default_factory=dict)  # url, credential
    staff_pin_hash: str = ""  # sha256 of the staff PIN; empty = staff mode disabled
    demo: bool = False

    def validate(self, source: str = "") -> KioskSettings:
        def need(cond: bool, name: str, problem: str) -> None:
            if not cond:
                raise SettingsError(name, problem, source)

        for name in _TEXT:
            need(isinstance(getattr(self, name), str), name, "must be a text")
        for name in _WHOLE:
            value = getattr(self, name)
            need(isinstance(value, int) and not isinstance(value, bool), name,
                 "must be a whole number")
        for name in _FLAGS:
            need(isinstance(getattr(self, name), bool), name, "must be true or false")
        for name in _TABLES:
            need(isinstance(getattr(self, name), dict), name, "must be a table")
        need(isinstance(self.tramites, tuple | list)
             and all(isinstance(i, str) for i in self.tramites),
             "tramites", "must be a list of trámite ids")
        need(bool(self.agency_id.strip()), "agency_id", "must not be empty")
        need(bool(self.kiosk_id.strip()), "kiosk_id", "must not be empty")
        need(len(self.tramites) > 0, "tramites", "offer at least one trámite")
        need(len(set(self.tramites)) == len(self.tramites), "tramites", "a trámite is listed twice")
        need(0 <= self.arrival_early_minutes <= 240, "arrival_early_minutes", "must be 0–240")
        need(0 <= self.arrival_late_minutes <= 240, "arrival_late_minutes", "must be 0–240")
        need(15 <= self.idle_timeout_s <= 600, "idle_timeout_s", "must be 15–600 seconds")
        need(5 <= self.idle_warning_s <= 120, "idle_warning_s", "must be 5–120 seconds")
        need(5 <= self.done_timeout_s <= 120, "done_timeout_s", "must be 5–120 seconds")
        need(_valid_timezone(self.timezone), "timezone",
             "must be an IANA time zone such as America/Guayaquil")
        need(self.language in ("es", "en", "qu"), "language", "must be es, en or qu")
        need(1 <= self.ticket_block_start <= 9000, "ticket_block_start", "must be 1–9000")
        need(10 <= self.ticket_block_size <= 999, "ticket_block_size", "must be 10–999")
        need(1 <= self.retention_days <= 90, "retention_days", "must be 1–90")
        need(self.printer.get("backend") in ("spool", "cups", "escpos"), "printer.backend",
             "must be spool, cups or escpos")
        need(self.camera.get("source") in ("device", "file", "demo"), "camera.source",
             "must be device, file or demo")
        if self.camera.get("source") == "file":
            path = self.camera.get("path")
            need(isinstance(path, str) and bool(path.strip()), "camera.path",
                 "a file camera needs the path of the video or image")
        return self

    def replace_validated(self, **changes: Any) -> KioskSettings:
        known = {f.name for f in dataclasses.fields(KioskSettings)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise SettingsError(unknown[0], "unknown setting")
        if isinstance(changes.get("tramites"), list):
            changes["tramites"] = tuple(changes["tramites"])
        return dataclasses.replace(self, **changes).validate()


def load_settings(path: Path | None, **overrides: Any) -> KioskSettings:
    values: dict[str, Any] = {}
    source = ""
    if path is not None:
        source = str(path)
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError("(file)", "file not found", source) from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError("(file)", f"not valid TOML: {exc}", source) from None
    values.update(overrides)
    known = {f.name for f in dataclasses.fields(KioskSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(unknown[0], "unknown setting", source)
    if isinstance(values.get("tramites"), list):  # a text would become a tuple of letters
        values["tramites"] = tuple(values["tramites"])
    try:
        settings = KioskSettings(**values)
    except TypeError as exc:
        raise SettingsError("(file)", str(exc), source) from None
    return settings.validate(source)


# ------------------------------------------------------------------ staff PIN

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """What settings.staff_pin_hash holds: "scrypt$<salt hex>$<hash hex>".

    Salted and slow on purpose: a 4–8 digit PIN has few possibilities, so a plain hash in a
    settings file would be recovered in milliseconds.
    """
    import hashlib
    import os

    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    import hashlib
    import hmac

    parts = stored.strip().split("$")
    if len(parts) != 3 or parts[0] != "scrypt":
        return False
    try:
        salt, expected = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return False
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return hmac.compare_digest(digest, expected)


# ------------------------------------------------------------------ staff changes on disk

STAFF_FIELDS = (
    "idle_timeout_s", "idle_warning_s", "done_timeout_s", "arrival_early_minutes",
    "arrival_late_minutes", "language", "high_contrast", "large_text",
)


def save_staff_changes(path: Path, settings: KioskSettings) -> None:
    """Persist the fields staff may change on the kiosk, so they survive a restart."""
    import json
    import os

    data = {name: getattr(settings, name) for name in STAFF_FIELDS}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_staff_changes(path: Path) -> dict[str, Any]:
    """Staff changes saved earlier; a damaged file is ignored (the defaults stay valid)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in STAFF_FIELDS}
