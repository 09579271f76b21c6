"""The hidden staff entry in the header, and staff settings applied without a restart."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kiosk.config import hash_pin, verify_pin
from kiosk.ui.widgets.chrome import HeaderBar


def _hold(widget: Any, seconds: float) -> None:
    QTest.mousePress(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5)
    )
    time.sleep(seconds)
    QTest.mouseRelease(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5)
    )


def test_long_press_on_brand_asks_for_staff_and_a_tap_does_not(
    window: Any, qtbot: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(HeaderBar, "STAFF_HOLD_S", 0.2)
    requests: list[bool] = []
    window.header.staff_requested.connect(lambda: requests.append(True))
    _hold(window.header.brand, 0.0)
    assert requests == []
    _hold(window.header.brand, 0.25)
    assert requests == [True]


def test_staff_entry_is_refused_during_a_visit_and_without_a_pin(window: Any) -> None:
    window.flow.start_walk_in()
    window.open_staff()
    assert window.staff_panel is None
    window.flow.cancel()
    window.open_staff()  # FakeServices has no staff PIN configured: staff mode is disabled
    assert window.staff_panel is None


def test_apply_settings_takes_effect_now_and_is_saved(window: Any, services: Any) -> None:
    saved: list[Any] = []
    services.save_staff_changes = saved.append
    new = dataclasses.replace(
        services.settings, idle_timeout_s=120, idle_warning_s=30, high_contrast=True
    )
    window.apply_settings(new)
    assert services.settings is new
    assert (window.idle.timeout_s, window.idle.warning_s) == (120, 30)
    assert window.high_contrast is True
    assert saved == [new]
    window.apply_settings(dataclasses.replace(new, high_contrast=False))


def test_pin_hash_is_salted_and_verifies() -> None:
    first, second = hash_pin("2468"), hash_pin("2468")
    assert first != second  # a fresh salt each time
    assert verify_pin("2468", first) and verify_pin("2468", second)
    assert not verify_pin("2469", first)
    assert not verify_pin("2468", "e3b0c44298fc1c149afbf4c8996fb924")  # an unsalted digest
