"""Kiosk settings: defaults, validation naming the field, TOML loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.config import DEFAULT_TRAMITES, KioskSettings, SettingsError, load_settings


def test_defaults_are_valid() -> None:
    s = KioskSettings()
    assert s.validate() is s
    assert s.tramites == DEFAULT_TRAMITES
    assert s.timezone == "America/Guayaquil"
    assert s.language == "es"
    assert load_settings(None) == s


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agency_id", ""),
        ("agency_id", "   "),
        ("kiosk_id", ""),
        ("tramites", ()),
        ("tramites", ("cita-medica", "cita-medica")),
        ("arrival_early_minutes", -1),
        ("arrival_early_minutes", 241),
        ("arrival_late_minutes", -5),
        ("arrival_late_minutes", 1000),
        ("idle_timeout_s", 14),
        ("idle_timeout_s", 601),
        ("idle_warning_s", 4),
        ("idle_warning_s", 121),
        ("done_timeout_s", 0),
        ("done_timeout_s", 500),
        ("language", "fr"),
        ("language", "ES"),
        ("ticket_block_start", 0),
        ("ticket_block_start", 9001),
        ("ticket_block_size", 9),
        ("ticket_block_size", 1000),
        ("retention_days", 0),
        ("retention_days", 91),
        ("timezone", "Mars/Base"),
        ("timezone", ""),
        ("timezone", "../../etc/passwd"),
        # wrong types, as a hand-edited TOML file can hold them
        ("idle_timeout_s", "60"),
        ("idle_timeout_s", 60.5),
        ("retention_days", True),
        ("high_contrast", "yes"),
        ("demo", 1),
        ("agency_name", 42),
        ("kiosk_id", None),
        ("tramites", "cita-medica"),
        ("tramites", (1, 2)),
        ("camera", "device"),
        ("printer", ["spool"]),
        ("central", "http://x"),
    ],
)
def test_each_invalid_setting_names_its_field(field: str, value: Any) -> None:
    with pytest.raises(SettingsError) as err:
        KioskSettings().replace_validated(**{field: value})
    assert err.value.field_name == field
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"printer": {"backend": "fax"}}, "printer.backend"),
        ({"printer": {}}, "printer.backend"),
        ({"camera": {"source": "webcam"}}, "camera.source"),
        ({"camera": {"source": "file"}}, "camera.path"),
        ({"camera": {"source": "file", "path": ""}}, "camera.path"),
    ],
)
def test_nested_settings(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as err:
        KioskSettings().replace_validated(**changes)
    assert err.value.field_name == field


def test_valid_changes_are_applied() -> None:
    s = KioskSettings().replace_validated(
        idle_timeout_s=15, arrival_early_minutes=0, language="en", tramites=["cita-medica"],
        printer={"backend": "escpos", "host": "127.0.0.1"},
        camera={"source": "file", "path": "/tmp/demo.mp4"}, timezone="UTC",
    )
    assert (s.idle_timeout_s, s.arrival_early_minutes, s.language) == (15, 0, "en")
    assert s.tramites == ("cita-medica",)
    assert KioskSettings().idle_timeout_s == 60  # the original is untouched


def test_replace_with_an_unknown_setting() -> None:
    with pytest.raises(SettingsError) as err:
        KioskSettings().replace_validated(idle_timeout=30)
    assert err.value.field_name == "idle_timeout"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_load(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
agency_id = "CAU-GYE-NORTE"
agency_name = "CAU Guayaquil Norte"
kiosk_id = "kiosk-03"
tramites = ["codigo-extranjeros", "certificado-atencion-medica-sgrt"]
idle_timeout_s = 90
high_contrast = true

[printer]
backend = "cups"
queue = "PDF"

[camera]
source = "device"
device = 1

[central]
url = "https://cola.example/api"
""",
    )
    s = load_settings(path)
    assert s.agency_id == "CAU-GYE-NORTE"
    assert s.tramites == ("codigo-extranjeros", "certificado-atencion-medica-sgrt")
    assert s.idle_timeout_s == 90 and s.high_contrast is True
    assert s.printer == {"backend": "cups", "queue": "PDF"}
    assert s.camera == {"source": "device", "device": 1}
    assert s.central["url"] == "https://cola.example/api"
    assert s.language == "es"  # untouched defaults


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, 'kiosk_id = "kiosk-03"\ndemo = false\n')
    s = load_settings(path, demo=True, camera={"source": "demo"})
    assert s.demo is True and s.camera == {"source": "demo"} and s.kiosk_id == "kiosk-03"


def test_toml_unknown_key(tmp_path: Path) -> None:
    path = _write(tmp_path, 'kiosk_id = "k"\nidle_timeout = 30\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert err.value.field_name == "idle_timeout"
    assert err.value.source == str(path)
    assert str(path) in str(err.value)


def test_bad_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, 'kiosk_id = "unterminated\n')
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert err.value.field_name == "(file)"
    assert "TOML" in err.value.problem
    assert str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path / "nope.toml")
    assert err.value.field_name == "(file)"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('idle_timeout_s = "60"', "idle_timeout_s"),
        ('tramites = "cita-medica"', "tramites"),  # not a tuple of letters
        ("tramites = []", "tramites"),
        ('camera = "usb"', "camera"),
        ("high_contrast = 1", "high_contrast"),
        ('timezone = "Ecuador/Quito"', "timezone"),
        ("arrival_late_minutes = 300", "arrival_late_minutes"),
    ],
)
def test_toml_invalid_values_name_the_field_and_the_file(
    tmp_path: Path, line: str, field: str
) -> None:
    path = _write(tmp_path, line + "\n")
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert err.value.field_name == field
    assert err.value.source == str(path)
