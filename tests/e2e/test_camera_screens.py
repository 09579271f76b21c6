"""The camera screens (scan turn, capture, review) driven offscreen with real camera code.

Frames are synthetic (kiosk.scanning's corpus and renderer) written as PNGs and played by the real
ImageSequenceSource through the real CameraWorker, analysis and QR reader. The services are the
shared FakeServices with camera-specific additions below. A small host mimics the window's
page switching (on_leave / on_enter / refresh), so these tests do not depend on kiosk.ui.window.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QStackedWidget, QWidget

import kiosk.ui.screens.capture as capture_module
from kiosk.domain.records import CapturedDocument, CompletedVisit, IssuedTicket
from kiosk.domain.requirements import ChecklistItem
from kiosk.domain.turns import TurnOutcome
from kiosk.domain.visit import IdentifyMode, Step, VisitFlow
from kiosk.scanning import (
    DocumentKind,
    EncodingError,
    ImageSequenceSource,
    Problem,
    assess_frame,
    corpus,
    encode_jpeg,
    instruction_key,
    rectify,
    render,
)
from kiosk.ui.camera_feed import CameraState, join_finishing
from kiosk.ui.context import UiContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.capture import CaptureScreen, CaptureState
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.scan_turn import ScanTurnScreen
from tests.e2e.fakes import TURN_CEDULA, VALID_CEDULA, FakeServices, decision, fake_document

QR_TEXT = "IESS1:DEMO-TURN-0001"
SGRT = "certificado-atencion-medica-sgrt"  # walk-in, own behalf with cédula: cédula + signed letter


# --------------------------------------------------------------------------- frames


def _frame_files(folder: Path, name: str, frames: list[np.ndarray]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"{name}-{i}.png"
        cv2.imwrite(str(path), frame)
        paths.append(path)
    return paths


def good_document_frame(kind: str = "id_card") -> np.ndarray:
    return corpus.make_sample(1, seed=7, condition="good", background="dark", kind=kind).frame


def degraded_frame(condition: str) -> np.ndarray:
    return corpus.make_sample(
        1, seed=7, condition=condition, background="dark", kind="id_card"
    ).frame


def qr_frame(text: str = QR_TEXT) -> np.ndarray:
    frame = np.full((720, 1280, 3), 60, np.uint8)
    phone = render.phone_with_qr(text)
    h, w = phone.shape[:2]
    frame[40 : 40 + h, 480 : 480 + w] = phone
    return frame


def empty_frame() -> np.ndarray:
    return np.full((720, 1280, 3), 70, np.uint8)


# --------------------------------------------------------------------------- services


class CameraServices(FakeServices):
    """FakeServices whose camera plays given PNGs, whose make_document really rectifies and
    encodes (or fails on demand) and whose store can be made to fail."""

    def __init__(self, frames: list[Path], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frames = frames
        self.fps = 15.0
        self.loop = True
        self.made: list[tuple[str, tuple[int, ...]]] = []
        self.fail_make = 0  # how many make_document calls fail before one succeeds
        self.fail_store = False
        self.make_threads: list[str] = []
        self.store_threads: list[str] = []

    def open_camera(self) -> Any:
        source = ImageSequenceSource(self.frames, fps=self.fps, loop=self.loop)
        self.cameras.append(source)
        return source

    def make_document(
        self, item: ChecklistItem, frame_bgr: np.ndarray, corners: tuple[tuple[float, float], ...]
    ) -> CapturedDocument:
        self.make_threads.append(threading.current_thread().name)
        self.made.append((item.id, frame_bgr.shape))
        if self.fail_make > 0:
            self.fail_make -= 1
            raise EncodingError("cannot fit 1 MB legibly (test)")
        kind = {"id_card": DocumentKind.ID_CARD, "passport": DocumentKind.PASSPORT}.get(
            item.requirement.document.value, DocumentKind.A4
        )
        data = encode_jpeg(rectify(frame_bgr, corners, kind))
        return CapturedDocument(item.id, "image/jpeg", data, hashlib.sha256(data).hexdigest())

    def issue_ticket(self, visit: CompletedVisit) -> IssuedTicket:
        self.store_threads.append(threading.current_thread().name)
        if self.fail_store:
            raise OSError("disk full (test)")
        return super().issue_ticket(visit)


# --------------------------------------------------------------------------- a tiny window


class Host:
    """Routes flow changes to the camera screens the way KioskWindow does."""

    def __init__(self, qtbot: Any, services: FakeServices) -> None:
        self.services = services
        self.flow: VisitFlow = services.new_flow()
        self.ctx = UiContext(services, self.flow, services.translator)
        self.scan = ScanTurnScreen(self.ctx)
        self.capture = CaptureScreen(self.ctx)
        self.review = ReviewScreen(self.ctx)
        self.blank = QWidget()
        self.stack = QStackedWidget()
        for page in (self.blank, self.scan, self.capture, self.review):
            self.stack.addWidget(page)
        qtbot.addWidget(self.stack)
        self.stack.setFixedSize(1280, 800)
        self.stack.show()
        qtbot.waitExposed(self.stack)
        self.current: Screen | None = None
        self.flow.subscribe(self._changed)

    def _page(self) -> Screen | None:
        flow = self.flow
        if flow.step is Step.IDENTIFY and flow.mode is IdentifyMode.QR:
            return self.scan
        return {Step.CAPTURE: self.capture, Step.REVIEW: self.review}.get(flow.step)

    def _changed(self, flow: VisitFlow) -> None:
        page = self._page()
        if page is self.current:
            if page is not None:
                page.refresh(flow)
            return
        if self.current is not None:
            self.current.on_leave()
        self.current = page
        self.stack.setCurrentWidget(page or self.blank)
        if page is not None:
            page.on_enter()
            page.refresh(flow)

    def close(self) -> None:
        if self.current is not None:
            self.current.on_leave()
            self.current = None
        self.stack.close()

    # ------------------------------------------------------------------ journeys

    def walk_in_to_capture(self, tramite: str = SGRT) -> None:
        flow = self.flow
        flow.start_walk_in()
        flow.choose_tramite(tramite)
        answers = {"on_behalf": "self", "id_type": "cedula", "priority": "no"}
        while flow.step is Step.QUESTIONS:
            question = flow.pending_question()
            assert question is not None
            flow.answer(question.id, answers.get(question.id, "no"))
        assert flow.identify(VALID_CEDULA).ok
        flow.checklist_confirmed()

    def walk_in_to_review(self, documents: dict[str, CapturedDocument] | None = None) -> None:
        flow = self.flow
        self.walk_in_to_capture()
        while flow.step is Step.CAPTURE:
            item = flow.current_capture()
            assert item is not None
            flow.document_captured((documents or {}).get(item.id) or fake_document(item.id))


@pytest.fixture
def host_for(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Host]]:
    made: list[Host] = []

    def factory(frames: list[np.ndarray], **kwargs: Any) -> Host:
        paths = _frame_files(tmp_path / "frames", f"h{len(made)}", frames)
        host = Host(qtbot, CameraServices(paths, **kwargs))
        made.append(host)
        return host

    yield factory
    for host in made:
        host.close()


class StallMeter:
    """Ticks a 10 ms QTimer on the UI thread and records the longest gap between ticks, and the
    most UI-thread CPU time spent inside one gap (work done on the UI thread itself).

    On an oversubscribed machine (load average above the core count, e.g. several test runs at
    once) a wall-clock gap also contains time the OS gave to other processes, so `check()` then
    holds the wall gap to a looser bound and relies on the CPU-time bound for our own work.
    """

    WALL_LIMIT_S = 0.100
    BUSY_LIMIT_S = 0.050
    OVERLOADED_WALL_LIMIT_S = 0.400

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.last_cpu = 0.0
        self.max_gap = 0.0
        self.max_busy = 0.0

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.last:
            self.max_gap = max(self.max_gap, now - self.last)
            self.max_busy = max(self.max_busy, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def __enter__(self) -> StallMeter:
        self.last = 0.0
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()

    def check(self) -> None:
        overloaded = os.getloadavg()[0] > (os.cpu_count() or 1)
        wall_limit = self.OVERLOADED_WALL_LIMIT_S if overloaded else self.WALL_LIMIT_S
        report = (f"UI thread: longest gap {self.max_gap * 1000:.0f} ms, longest busy "
                  f"{self.max_busy * 1000:.0f} ms (load {os.getloadavg()[0]:.1f})")
        assert self.max_busy < self.BUSY_LIMIT_S, report
        assert self.max_gap < wall_limit, report


def _alive(name: str) -> bool:
    return any(t.name == name and t.is_alive() for t in threading.enumerate())


def _no_camera_threads() -> bool:
    """The camera thread is joined by stop() itself (the device is free at once); an analysis
    thread may still be finishing its last, discarded frame and must end right after."""
    if _alive("camera-worker"):
        return False
    return join_finishing(5) and not _alive("kiosk-analysis")


# --------------------------------------------------------------------------- scan turn


def test_qr_scan_verifies_the_text_and_the_flow_advances(qtbot: Any, host_for: Any) -> None:
    host = host_for([qr_frame()], decisions=[decision(TurnOutcome.OK)])
    host.flow.start_with_turn()
    assert host.current is host.scan
    assert host.services.scenes == ["turn_phone"]
    qtbot.waitUntil(lambda: host.flow.mode is IdentifyMode.CONFIRM, timeout=5000)
    assert host.services.verified == [QR_TEXT]
    assert host.flow.step is Step.IDENTIFY
    # The scan screen was left: its camera is stopped and joined.
    assert host.scan.feed is None
    assert _no_camera_threads()


def test_a_refused_code_goes_to_the_flow_which_explains_it(qtbot: Any, host_for: Any) -> None:
    host = host_for([qr_frame()], decisions=[decision(TurnOutcome.NOT_IESS)])
    host.flow.start_with_turn()
    qtbot.waitUntil(lambda: host.flow.step is Step.INFO, timeout=5000)
    assert host.flow.decision is not None
    assert host.flow.decision.outcome is TurnOutcome.NOT_IESS
    assert host.services.verified == [QR_TEXT]


def test_the_same_code_is_not_verified_twice_in_a_row(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    gate = threading.Event()
    services = host.services
    plain_verify = services.verify_turn

    def slow_verify(text: str) -> Any:
        gate.wait(5)
        return plain_verify(text)

    services.verify_turn = slow_verify  # type: ignore[method-assign]
    services.decisions.append(decision(TurnOutcome.OK))
    host.flow.start_with_turn()
    host.scan._on_qr(QR_TEXT)
    host.scan._on_qr(QR_TEXT)  # while the first is being verified
    assert host.scan.view.instruction == host.ctx.t("scan.turn_checking")
    gate.set()
    qtbot.waitUntil(lambda: host.flow.mode is IdentifyMode.CONFIRM, timeout=5000)
    assert services.verified == [QR_TEXT]


def test_no_code_after_30_seconds_offers_the_walk_in_way(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    host.flow.start_with_turn()
    host.scan.tick.fire()
    assert host.scan.no_code_button.isHidden()
    host.services.clock.advance(31)
    host.scan.tick.fire()
    assert not host.scan.no_code_button.isHidden()
    assert not host.scan.hint.isHidden()
    host.scan.no_code_button.click()
    assert host.flow.step is Step.CHOOSE
    assert host.current is None  # the scan screen was left
    assert _no_camera_threads()


# --------------------------------------------------------------------------- capture


def test_steady_good_documents_are_captured_automatically_until_review(
    qtbot: Any, host_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_module, "CONFIRM_MS", 300)
    host = host_for([good_document_frame()])
    host.walk_in_to_capture()
    assert host.current is host.capture
    first = host.flow.current_capture()
    assert first is not None and first.id == "cedula"
    assert host.capture.title.text() == host.ctx.t(
        "scan.capture_title", number=1, total=2, name=first.requirement.name
    )
    # UI responsiveness while the camera runs, the document is analysed, captured, made into a
    # JPEG and confirmed (page switches, which join the camera threads, are measured elsewhere).
    with StallMeter() as meter:
        qtbot.waitUntil(lambda: host.capture.state is CaptureState.CONFIRM, timeout=8000)
        qtbot.waitUntil(lambda: host.flow.capture_id == "solicitud", timeout=5000)
    # The letter needs a handwritten signature: the screen says so.
    assert not host.capture.signature.isHidden()
    qtbot.waitUntil(lambda: host.flow.step is Step.REVIEW, timeout=8000)
    assert [m[0] for m in host.services.made] == ["cedula", "solicitud"]
    assert host.services.made[0][1] == (720, 1280, 3)  # the full-resolution frame, not the preview
    assert all(name != "MainThread" for name in host.services.make_threads)
    assert host.services.scenes == ["id_card", "letter"]
    docs = host.flow.visit.captures if host.flow.visit else {}
    assert set(docs) == {"cedula", "solicitud"}
    assert all(d.data[:2] == b"\xff\xd8" and len(d.data) <= 1_000_000 for d in docs.values())
    assert host.current is host.review
    meter.check()
    assert _no_camera_threads()


def test_preview_shows_frames_with_the_outline(qtbot: Any, host_for: Any) -> None:
    host = host_for([good_document_frame()])
    with qtbot.waitSignal(host.capture.citizen_active, timeout=5000):  # keeps idle away
        host.walk_in_to_capture()
    view = host.capture.view
    qtbot.waitUntil(lambda: view.has_frame() and view._outline is not None, timeout=5000)
    # Delivered at the view's size (scaled on the camera thread), so painting is a plain blit.
    assert view._image is not None
    assert view._image.width() == view.width() or view._image.height() == view.height()
    view.repaint()
    assert view.frames_painted >= 1


@pytest.mark.parametrize(("condition", "problem"), [("blurred", Problem.BLURRED),
                                                     ("dark", Problem.TOO_DARK)])
def test_a_bad_sequence_never_auto_captures_and_says_why(
        qtbot: Any, host_for: Any, condition: str, problem: Problem) -> None:
    frame = degraded_frame(condition)
    assessment = assess_frame(frame)
    assert problem in assessment.problems
    host = host_for([frame])
    host.walk_in_to_capture()
    # The one instruction shown is the engine's most important problem, in plain words.
    expected = host.ctx.t(instruction_key(assessment))
    qtbot.waitUntil(lambda: host.capture.view.instruction == expected, timeout=5000)
    qtbot.wait(1500)  # well past the 0.6 s hold-still time
    assert host.services.made == []
    assert host.capture.state is CaptureState.LIVE
    assert host.capture.view.instruction == expected
    # The manual button explains instead of storing an illegible photo.
    host.capture.take_button.setEnabled(True)
    host.capture.take_button.click()
    assert not host.capture.notice.isHidden()
    assert expected in host.capture.notice.text()
    assert host.services.made == []


def test_manual_photo_of_an_acceptable_frame(
    qtbot: Any, host_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_module, "CONFIRM_MS", 100)
    host = host_for([good_document_frame()])
    host.walk_in_to_capture()
    assert host.capture.feed is not None
    host.capture.feed._hold.steady_seconds = 60.0  # auto-capture must not come first
    qtbot.waitUntil(lambda: host.capture.take_button.isEnabled(), timeout=5000)
    host.capture.take_button.click()
    qtbot.waitUntil(lambda: host.flow.capture_id == "solicitud", timeout=5000)
    assert [m[0] for m in host.services.made] == ["cedula"]


def test_make_document_failure_shows_a_message_and_retry(
    qtbot: Any, host_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_module, "CONFIRM_MS", 100)
    host = host_for([good_document_frame()])
    host.services.fail_make = 1
    host.walk_in_to_capture()
    qtbot.waitUntil(lambda: host.capture.state is CaptureState.ERROR, timeout=8000)
    assert host.capture.error_label.text() == host.ctx.t("scan.make_failed")
    assert host.flow.step is Step.CAPTURE and host.flow.capture_id == "cedula"
    host.capture.retry_button.click()
    assert host.capture.state is CaptureState.LIVE
    qtbot.waitUntil(lambda: host.flow.capture_id == "solicitud", timeout=8000)
    assert [m[0] for m in host.services.made] == ["cedula", "cedula"]


def test_i_dont_have_this_document(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    host.walk_in_to_capture()
    host.capture.missing_button.click()
    assert host.flow.step is Step.INFO
    assert host.current is None
    assert _no_camera_threads()


@pytest.mark.allow_log_warnings  # the camera worker logs the missing source
def test_camera_not_found_shows_a_clear_message(qtbot: Any, host_for: Any, tmp_path: Path) -> None:
    host = host_for([empty_frame()])
    host.services.frames = [tmp_path / "no-such-camera.png"]
    host.walk_in_to_capture()
    feed = host.capture.feed
    assert feed is not None
    qtbot.waitUntil(lambda: feed.status == CameraState.NOT_FOUND, timeout=5000)
    assert host.capture.view.message == host.ctx.t("scan.camera_not_found")
    assert not host.capture.take_button.isEnabled()
    host.capture.missing_button.click()  # the citizen is never stuck
    assert host.flow.step is Step.INFO


def test_a_camera_that_drops_out_says_reconnecting_then_recovers(qtbot: Any,
                                                                 host_for: Any) -> None:
    host = host_for([empty_frame()] * 3)
    host.services.loop = False  # three frames, then nothing: the worker reopens the source
    host.walk_in_to_capture()
    reconnecting = host.ctx.t("scan.camera_reconnecting")
    qtbot.waitUntil(lambda: host.capture.view.message == reconnecting, timeout=5000)
    qtbot.waitUntil(lambda: host.capture.view.message == "", timeout=5000)


@pytest.mark.allow_log_warnings  # the camera worker logs the missing source
def test_scan_screen_without_camera_says_so(qtbot: Any, host_for: Any, tmp_path: Path) -> None:
    host = host_for([empty_frame()])
    host.services.frames = [tmp_path / "no-such-camera.png"]
    host.flow.start_with_turn()
    qtbot.waitUntil(lambda: host.scan.view.message == host.ctx.t("scan.camera_not_found"),
                    timeout=5000)
    host.flow.cancel()
    assert _no_camera_threads()


# --------------------------------------------------------------------------- review


def _real_jpeg(requirement_id: str) -> CapturedDocument:
    data = encode_jpeg(render.document("letter"))
    return CapturedDocument(requirement_id, "image/jpeg", data, hashlib.sha256(data).hexdigest())


def _pdf(requirement_id: str) -> CapturedDocument:
    data = b"%PDF-1.4 test"
    return CapturedDocument(
        requirement_id, "application/pdf", data, hashlib.sha256(data).hexdigest()
    )


def test_review_shows_thumbnails_and_retake_goes_back_to_capture(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    host.walk_in_to_review({"cedula": _real_jpeg("cedula"), "solicitud": _pdf("solicitud")})
    assert host.current is host.review
    cards = host.review.cards
    assert set(cards) == {"cedula", "solicitud"}
    qtbot.waitUntil(
        lambda: all(not c.image.pixmap().isNull() for c in cards.values()), timeout=5000
    )
    summary = host.review.summary.text()
    assert host.ctx.t("review.walk_in") in summary
    assert host.ctx.t("review.identity", digits=VALID_CEDULA[-2:]) in summary
    assert VALID_CEDULA not in summary  # never the whole number
    cards["cedula"].retake.click()
    assert host.flow.step is Step.CAPTURE and host.flow.capture_id == "cedula"
    assert host.current is host.capture
    assert host.review.cards == {}  # thumbnails cleared on leave
    assert "solicitud" in (host.flow.visit.captures if host.flow.visit else {})


@pytest.mark.allow_log_warnings  # the store failure is logged (exception type only)
def test_store_failure_on_confirm_keeps_every_capture(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    host.walk_in_to_review()
    host.services.fail_store = True
    host.review.confirm_button.click()
    assert host.review.status.text() == host.ctx.t("review.saving")
    assert not host.review.confirm_button.isEnabled()
    assert host.review.busy  # the window can hold back/cancel while the visit is stored
    qtbot.waitUntil(
        lambda: host.review.status.text() == host.ctx.t("review.store_failed"), timeout=5000
    )
    assert host.flow.step is Step.REVIEW
    assert set(host.flow.visit.captures if host.flow.visit else {}) == {"cedula", "solicitud"}
    assert host.review.confirm_button.isEnabled()
    assert not host.review.busy
    assert all(name != "MainThread" for name in host.services.store_threads)
    host.services.fail_store = False
    host.review.confirm_button.click()
    qtbot.waitUntil(lambda: host.flow.step is Step.RECEIPT, timeout=5000)
    visit, ticket = host.services.tickets[0]
    assert [d.requirement_id for d in visit.documents] == ["cedula", "solicitud"]
    assert host.flow.visit is not None and host.flow.visit.ticket == ticket
    assert host.review.cards == {}


def test_review_shows_an_appointment_in_the_kiosks_local_time(qtbot: Any, host_for: Any) -> None:
    host = host_for([empty_frame()])
    flow = host.flow
    slot_utc = datetime(2026, 11, 25, 14, 40, tzinfo=UTC)  # 09:40 in Ecuador (UTC-5)
    flow.start_with_turn()
    host.current = None  # drive the flow past the scan page without its camera
    host.scan.on_leave()
    flow.turn_read(decision(TurnOutcome.OK, slot_start=slot_utc))
    assert flow.confirm_digits(TURN_CEDULA[-4:])
    while flow.step is Step.QUESTIONS:
        question = flow.pending_question()
        assert question is not None
        flow.answer(question.id, {"on_behalf": "self"}.get(question.id, "no"))
    flow.checklist_confirmed()
    while flow.step is Step.CAPTURE:
        item = flow.current_capture()
        assert item is not None
        flow.document_captured(fake_document(item.id))
    assert host.current is host.review
    summary = host.review.summary.text()
    assert host.ctx.t("review.with_turn", time="09:40") in summary
    assert host.ctx.t("review.identity", digits=TURN_CEDULA[-2:]) in summary
