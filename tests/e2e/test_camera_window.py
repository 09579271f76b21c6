"""The camera screens inside the real KioskWindow: page switching, timers and threads end clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kiosk.ui.screens.capture as capture_module
from kiosk.domain.turns import TurnOutcome
from kiosk.domain.visit import IdentifyMode, Step
from tests.e2e.fakes import FakeServices, decision
from tests.e2e.test_camera_screens import (
    QR_TEXT,
    SGRT,
    CameraServices,
    StallMeter,
    _frame_files,
    _no_camera_threads,
    good_document_frame,
    qr_frame,
)


def _walk_in_to_capture(flow: Any) -> None:
    flow.start_walk_in()
    flow.choose_tramite(SGRT)
    answers = {"on_behalf": "self", "id_type": "cedula", "priority": "no"}
    while flow.step is Step.QUESTIONS:
        question = flow.pending_question()
        flow.answer(question.id, answers.get(question.id, "no"))
    from tests.e2e.fakes import VALID_CEDULA

    assert flow.identify(VALID_CEDULA).ok
    flow.checklist_confirmed()


def test_turn_scan_in_the_window(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    services = CameraServices(
        _frame_files(tmp_path, "qr", [qr_frame()]), decisions=[decision(TurnOutcome.OK)]
    )
    window = make_window(svc=services)
    window.flow.start_with_turn()
    assert window.current_name() == "scan_turn"
    qtbot.waitUntil(lambda: window.flow.mode is IdentifyMode.CONFIRM, timeout=5000)
    assert services.verified == [QR_TEXT]
    assert window.current_name() == "identify"
    assert _no_camera_threads()


def test_capture_to_receipt_in_the_window(
    qtbot: Any, make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_module, "CONFIRM_MS", 300)
    services = CameraServices(_frame_files(tmp_path, "doc", [good_document_frame()]))
    window = make_window(svc=services)
    _walk_in_to_capture(window.flow)
    assert window.current_name() == "capture"
    with StallMeter() as meter:  # during live analysis, auto-capture and make_document
        qtbot.waitUntil(lambda: window.flow.capture_id == "solicitud", timeout=15000)
    qtbot.waitUntil(lambda: window.flow.step is Step.REVIEW, timeout=15000)
    assert window.current_name() == "review"
    review = window.screen("review")
    qtbot.waitUntil(
        lambda: all(not c.image.pixmap().isNull() for c in review.cards.values()), timeout=5000
    )
    review.confirm_button.click()
    qtbot.waitUntil(lambda: window.flow.step is Step.RECEIPT, timeout=5000)
    assert review.cards == {}
    assert len(services.tickets) == 1
    meter.check()
    assert _no_camera_threads()


def test_the_shared_fake_camera_works_too(qtbot: Any, make_window: Any) -> None:
    """FakeServices' own synthetic camera (read/close only) reaches the capture screen."""
    services = FakeServices()
    window = make_window(svc=services)
    _walk_in_to_capture(window.flow)
    view = window.screen("capture").view
    qtbot.waitUntil(view.has_frame, timeout=5000)
    window.flow.cancel()
    assert _no_camera_threads()


def test_language_switch_retranslates_the_capture_screen(qtbot: Any, make_window: Any,
                                                          tmp_path: Path) -> None:
    services = CameraServices(_frame_files(tmp_path, "doc", [good_document_frame()]))
    services.fail_make = 10**6  # stay on the first document
    window = make_window(svc=services)
    _walk_in_to_capture(window.flow)
    capture = window.screen("capture")
    assert capture.take_button.text() == "Tomar foto"
    window.set_language("en")
    assert capture.take_button.text() == "Take photo"
    assert capture.title.text().startswith("Document 1 of 2")
    window.flow.cancel()
