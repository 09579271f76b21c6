"""Window guards the camera pages rely on: activity under the camera keeps the visit alive, and
the footer cannot abandon a page that is storing the citizen's data."""

from __future__ import annotations

from typing import Any


def test_activity_under_the_camera_keeps_the_idle_warning_away(window: Any, services: Any) -> None:
    window.flow.start_with_turn()
    assert window.current_name() == "scan_turn"
    page = window.current_screen()
    timeout = services.settings.idle_timeout_s
    services.clock.advance(timeout - 5)
    page.citizen_active.emit()  # a code or document seen by the camera
    services.clock.advance(10)
    window.idle.tick()
    assert not window.idle.warning_shown
    services.clock.advance(timeout)
    window.idle.tick()
    assert window.idle.warning_shown
    window.flow.cancel()


def test_back_and_cancel_wait_while_the_page_is_busy(window: Any, monkeypatch: Any) -> None:
    window.flow.start_walk_in()
    page = window.current_screen()
    monkeypatch.setattr(type(page), "busy", property(lambda self: True), raising=False)
    window.footer.cancel_clicked.emit()
    window.footer.back_clicked.emit()
    assert window.flow.in_visit and window.current_name() == "choose"
    monkeypatch.undo()
    window.footer.cancel_clicked.emit()
    assert not window.flow.in_visit and window.current_name() == "home"
