"""CAPTURE: one document at a time, guided live and captured automatically when good and steady.

States: LIVE (preview, one instruction, hold-still ring) → SAVING (flash, make_document on the
thread pool) → CONFIRM (thumbnail and "¡Listo!" for a moment) → the flow moves on; or ERROR (a
plain message and "Intentar de nuevo"). Nothing slow runs on the UI thread.
"""

from __future__ import annotations

import logging
from enum import StrEnum

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.catalog import DocumentType
from kiosk.domain.records import CapturedDocument
from kiosk.domain.requirements import ChecklistItem
from kiosk.domain.visit import Step, VisitFlow
from kiosk.scanning import DocumentKind, FrameAssessment, Problem, instruction_key
from kiosk.ui.camera_feed import (
    CameraFeed,
    CameraState,
    decode_thumbnail,
    open_feed_for,
    release_feed,
    run_off_ui,
)
from kiosk.ui.context import UiContext
from kiosk.ui.idle import KioskTimer
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.camera_view import CameraView, Tone

log = logging.getLogger("kiosk.ui.capture")

# Requirement document type → (demo camera scene, physical format the engine guides for).
SCENES: dict[DocumentType, tuple[str, DocumentKind]] = {
    DocumentType.ID_CARD: ("id_card", DocumentKind.ID_CARD),
    DocumentType.PASSPORT: ("passport", DocumentKind.PASSPORT),
    DocumentType.A4: ("letter", DocumentKind.A4),
}
# A manual photo is refused for these: the sheets reject blurred, dark, cut-off or illegible
# images. Tilt is corrected by rectification and a still-enough hand is fine.
BLOCKING = frozenset({Problem.NO_DOCUMENT, Problem.CUT_OFF, Problem.TOO_FAR, Problem.TOO_DARK,
                      Problem.GLARE, Problem.BLURRED})
ACTIVITY_EVERY_S = 2.0
FLASH_MS = 180
CONFIRM_MS = 1200


class CaptureState(StrEnum):
    LIVE = "live"
    SAVING = "saving"
    CONFIRM = "confirm"
    ERROR = "error"


class CaptureScreen(Screen):
    name = "capture"

    #: The camera sees the citizen's document: they are there although they touch nothing (the
    #: window may feed this to its idle watcher so "¿Sigue ahí?" does not interrupt a capture).
    citizen_active = Signal()

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.feed: CameraFeed | None = None
        self.state = CaptureState.LIVE
        self.item: ChecklistItem | None = None
        self.document: CapturedDocument | None = None
        self._active = False
        self._generation = 0
        self._assessment: FrameAssessment | None = None
        self._last_activity = -1e9

        self.title = QLabel(wordWrap=True)
        self.title.setProperty("role", "title")
        self.detail = QLabel(wordWrap=True)
        self.detail.setProperty("role", "subtitle")
        self.signature = QLabel(wordWrap=True)
        self.signature.setProperty("role", "tagWarn")
        self.signature.hide()

        self.view = CameraView()
        self.thumbnail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setMinimumSize(200, 200)
        self.done_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.done_label.setProperty("role", "huge")
        confirm_page = QWidget()
        confirm_layout = QVBoxLayout(confirm_page)
        confirm_layout.addWidget(self.thumbnail, 1)
        confirm_layout.addWidget(self.done_label)
        self.error_label = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.error_label.setProperty("role", "error")
        self.retry_button = QPushButton()
        self.retry_button.setObjectName("capture_retry")
        self.retry_button.setProperty("role", "primary")
        self.retry_button.setMinimumHeight(72)
        self.retry_button.clicked.connect(self._retry)
        error_page = QWidget()
        error_layout = QVBoxLayout(error_page)
        error_layout.addStretch(1)
        error_layout.addWidget(self.error_label)
        error_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        error_layout.addStretch(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(confirm_page)
        self.pages.addWidget(error_page)

        self.notice = QLabel(wordWrap=True)  # why a manual photo cannot be taken yet
        self.notice.setProperty("role", "message")
        self.notice.hide()
        self.take_button = QPushButton()
        self.take_button.setObjectName("capture_take")
        self.take_button.setProperty("role", "primary")
        self.take_button.setMinimumHeight(72)
        self.take_button.setMinimumWidth(360)
        self.take_button.setEnabled(False)
        self.take_button.clicked.connect(self.take_photo)
        self.missing_button = QPushButton()
        self.missing_button.setObjectName("capture_missing")
        self.missing_button.setProperty("role", "quiet")
        self.missing_button.setMinimumHeight(72)
        self.missing_button.clicked.connect(self._missing)
        buttons = QHBoxLayout()
        buttons.addWidget(self.missing_button)
        buttons.addStretch(1)
        buttons.addWidget(self.take_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 40, 56, 24)  # as the other pages (kiosk.ui.widgets.page)
        layout.setSpacing(16)
        self._layout = layout
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.signature)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)

        self.flash_timer = KioskTimer(FLASH_MS, single_shot=True, name="capture_flash", parent=self)
        self.flash_timer.timeout.connect(lambda: self.view.set_flash(0.0))
        self.confirm_timer = KioskTimer(CONFIRM_MS, single_shot=True, name="capture_confirm",
                                        parent=self)
        self.confirm_timer.timeout.connect(self._commit)
        self.retranslate()

    @property
    def busy(self) -> bool:
        """True while a photo is being made into a document (a second or less)."""
        return self.state is CaptureState.SAVING

    # ------------------------------------------------------------------ lifecycle

    def retranslate(self) -> None:
        t = self.ctx.t
        self.take_button.setText(t("scan.take_photo"))
        self.missing_button.setText(t("scan.dont_have"))
        self.retry_button.setText(t("scan.retry"))
        self.error_label.setText(t("scan.make_failed"))
        self.done_label.setText(t("scan.captured"))
        self.signature.setText(t("scan.signature_reminder"))
        if self.item is not None:
            self._render_item()

    def on_enter(self) -> None:
        self._active = True
        self.feed = open_feed_for(self.view, self.ctx.services.open_camera, self)
        self.feed.frame_ready.connect(self._on_frame)
        self.feed.assessed.connect(self._on_assessed)
        self.feed.capture_ready.connect(self._on_capture_ready)
        self.feed.status_changed.connect(self._on_status)
        self._start_item()

    def on_leave(self) -> None:
        self._active = False
        self._generation += 1  # results of a make_document still running are dropped
        self.flash_timer.stop()
        self.confirm_timer.stop()
        release_feed(self.feed)
        self.feed = None
        self.wipe()

    def wipe(self) -> None:
        """Personal data must not stay on screen for the next citizen."""
        self.view.clear()
        self.thumbnail.clear()
        self.title.clear()
        self.detail.clear()
        self.notice.clear()
        self.notice.hide()
        self.document = None
        self.item = None
        self._assessment = None

    def set_portrait(self, portrait: bool) -> None:
        margin = 40 if portrait else 56
        self._layout.setContentsMargins(margin, 36, margin, 20)

    def refresh(self, flow: VisitFlow) -> None:
        # document_captured() keeps the step at CAPTURE and moves to the next requirement.
        if self._active and flow.step is Step.CAPTURE and (
                self.item is None or flow.capture_id != self.item.id):
            self._start_item()

    # ------------------------------------------------------------------ one requirement

    def _start_item(self) -> None:
        flow = self.ctx.flow
        self.item = flow.current_capture()
        self._generation += 1
        self.document = None
        self._assessment = None
        self.flash_timer.stop()
        self.confirm_timer.stop()
        self.thumbnail.clear()
        self.view.clear()
        self.notice.hide()
        if self.item is None:
            return
        self._render_item()
        scene, kind = SCENES.get(self.item.requirement.document, ("letter", DocumentKind.A4))
        self.ctx.services.camera_scene(scene)
        short, long = kind.size_mm
        self.view.set_guide(short / long if kind in (DocumentKind.A4, DocumentKind.LETTER)
                            else long / short)
        self._set_state(CaptureState.LIVE)
        self.view.set_instruction(self.ctx.t("scan.place_document"))
        if self.feed is not None:
            self.feed.start_document(kind)
            if self.feed.status == CameraState.NOT_FOUND:
                self._on_status(CameraState.NOT_FOUND)

    def _render_item(self) -> None:
        assert self.item is not None
        items = self.ctx.flow.to_capture()
        ids = [i.id for i in items]
        number = ids.index(self.item.id) + 1 if self.item.id in ids else 1
        req = self.item.requirement
        self.title.setText(self.ctx.t("scan.capture_title", number=number, total=len(items),
                                      name=req.name))
        self.detail.setText(req.detail)
        self.signature.setVisible(req.signature_required)

    def _set_state(self, state: CaptureState) -> None:
        self.state = state
        self.pages.setCurrentIndex({CaptureState.CONFIRM: 1, CaptureState.ERROR: 2}.get(state, 0))
        live = state is CaptureState.LIVE
        self.missing_button.setEnabled(live or state is CaptureState.ERROR)
        self.take_button.setEnabled(live and self._assessment is not None
                                    and self._assessment.document is not None)
        # While saving and confirming nothing may be touched: hide the buttons, don't grey them.
        self.missing_button.setVisible(live or state is CaptureState.ERROR)
        self.take_button.setVisible(live)

    # ------------------------------------------------------------------ feed signals

    def _on_frame(self, image: QImage, assessment: object) -> None:
        if self.state is CaptureState.LIVE:
            self.view.set_frame(image, assessment)

    def _on_assessed(self, assessment: FrameAssessment, progress: float) -> None:
        if self.state is not CaptureState.LIVE:
            return
        self._assessment = assessment
        if assessment.document is not None:
            self._activity()
        key = instruction_key(assessment, steady=progress >= 1.0)
        tone = Tone.OK if assessment.ok else Tone.PROBLEM
        self.view.set_instruction(self._text(key), tone)
        self.view.set_outline(assessment.document, assessment.ok, assessment.frame_size)
        self.view.set_progress(progress if assessment.ok else 0.0)
        self.take_button.setEnabled(assessment.document is not None)
        if assessment.document is not None and not (set(assessment.problems) & BLOCKING):
            self.notice.hide()

    def _on_capture_ready(self, frame: np.ndarray, corners: object) -> None:
        if self.state is CaptureState.LIVE:
            self._capture(frame, corners)

    def _on_status(self, status: str) -> None:
        t = self.ctx.t
        if status == CameraState.NOT_FOUND:
            self.view.set_message(t("scan.camera_not_found"))
            self.take_button.setEnabled(False)
        elif status == CameraState.RECONNECTING:
            self.view.set_message(t("scan.camera_reconnecting"))
        else:
            self.view.set_message("")

    def _activity(self) -> None:
        now = self.ctx.services.clock.monotonic()
        if now - self._last_activity >= ACTIVITY_EVERY_S:
            self._last_activity = now
            self.citizen_active.emit()

    def _text(self, key: str) -> str:
        translator = self.ctx.translator
        return self.ctx.t(key) if translator.has(key) else self.ctx.t("scan.place_document")

    # ------------------------------------------------------------------ capturing

    def take_photo(self) -> None:
        """Manual capture: the latest analysed frame, unless a problem would make it illegible."""
        if self.state is not CaptureState.LIVE or self.feed is None:
            return
        latest = self.feed.latest()
        if latest is None or latest[1].document is None:
            self._explain(self.ctx.t("capture.no_document") if self.ctx.translator.has(
                "capture.no_document") else self.ctx.t("scan.place_document"))
            return
        frame, assessment = latest
        blocking = [p for p in assessment.problems if p in BLOCKING]
        if blocking:
            self._explain(self._text(f"capture.{blocking[0].value}"))
            return
        self._capture(frame, assessment.document)

    def _explain(self, instruction: str) -> None:
        self.notice.setText(self.ctx.t("scan.not_yet", instruction=instruction))
        self.notice.show()

    def _capture(self, frame: np.ndarray, corners: object) -> None:
        item = self.item
        if item is None:
            return
        if self.feed is not None:
            self.feed.pause()
        self._set_state(CaptureState.SAVING)
        self.notice.hide()
        self.view.set_progress(0.0)
        self.view.set_flash(1.0)
        self.flash_timer.start()
        self.view.set_instruction(self.ctx.t("scan.processing"), Tone.OK)
        generation = self._generation
        services = self.ctx.services
        quad = tuple((float(x), float(y)) for x, y in corners)  # type: ignore[attr-defined]

        def job() -> tuple[CapturedDocument, QImage | None]:
            doc = services.make_document(item, frame, quad)
            return doc, decode_thumbnail(doc.data, doc.content_type)

        run_off_ui(job, lambda result: self._made(generation, result),
                   lambda exc: self._make_failed(generation, exc))

    def _made(self, generation: int, result: tuple[CapturedDocument, QImage | None]) -> None:
        if generation != self._generation or not self._active:
            return
        self.document, image = result
        if image is not None and not image.isNull():
            size = self.thumbnail.size()
            self.thumbnail.setPixmap(QPixmap.fromImage(image).scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        else:
            self.thumbnail.setText(self.ctx.t("scan.saved"))
        self._set_state(CaptureState.CONFIRM)
        self.confirm_timer.start()

    def _make_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or not self._active:
            return
        # Type only: the message of an encoding error could describe the document's content.
        log.info("document could not be made: %s", type(exc).__name__)
        self._set_state(CaptureState.ERROR)

    def _commit(self) -> None:
        flow = self.ctx.flow
        doc, item = self.document, self.item
        if (doc is None or item is None or flow.step is not Step.CAPTURE
                or flow.capture_id != item.id):
            return
        self.document = None
        self.thumbnail.clear()
        flow.document_captured(doc)

    def _retry(self) -> None:
        self._set_state(CaptureState.LIVE)
        self.view.set_instruction(self.ctx.t("scan.place_document"))
        if self.feed is not None and self.item is not None:
            _, kind = SCENES.get(self.item.requirement.document, ("letter", DocumentKind.A4))
            self.feed.start_document(kind)

    def _missing(self) -> None:
        flow = self.ctx.flow
        if flow.step is Step.CAPTURE:
            flow.document_missing()
