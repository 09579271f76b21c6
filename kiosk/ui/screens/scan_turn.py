"""IDENTIFY (QR mode): the citizen holds the online-turn confirmation under the camera.

The camera and the QR reading run off the UI thread (CameraFeed); verification runs on the thread
pool; only the verdict comes back here and goes to the flow, whose INFO screen explains refusals.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.turns import TurnDecision
from kiosk.domain.visit import IdentifyMode, Step, VisitFlow
from kiosk.ui.camera_feed import CameraFeed, CameraState, open_feed_for, release_feed, run_off_ui
from kiosk.ui.context import UiContext
from kiosk.ui.idle import KioskTimer
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.camera_view import CameraView, Tone

log = logging.getLogger("kiosk.ui.scan")

REVERIFY_AFTER_S = 4.0  # the same QR text is not verified again within this time
SLOW_HINT_AFTER_S = 30.0  # no code read by then: show a hint and the walk-in way out


class TurnIllustration(QWidget):
    """A phone and a sheet of paper, each with a QR, drawn (no image assets needed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(QSize(220, 200))

    def sizeHint(self) -> QSize:
        return QSize(300, 260)

    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            w, h = self.width(), self.height()
            unit = min(w / 300, h / 260)
            ox, oy = (w - 300 * unit) / 2, (h - 260 * unit) / 2

            def r(x: float, y: float, rw: float, rh: float) -> QRectF:
                return QRectF(ox + x * unit, oy + y * unit, rw * unit, rh * unit)

            # Paper, slightly rotated, behind the phone.
            p.save()
            p.translate(QPointF(ox + 95 * unit, oy + 130 * unit))
            p.rotate(-8)
            p.setPen(QPen(QColor("#8a99ab"), 2))
            p.setBrush(QColor("white"))
            p.drawRect(QRectF(-80 * unit, -110 * unit, 160 * unit, 220 * unit))
            self._qr(p, QRectF(-45 * unit, -60 * unit, 90 * unit, 90 * unit))
            p.restore()
            # Phone.
            p.setPen(QPen(QColor("#14212e"), 3))
            p.setBrush(QColor("#14212e"))
            p.drawRoundedRect(r(170, 20, 110, 220), 16 * unit, 16 * unit)
            p.setBrush(QColor("white"))
            p.drawRect(r(178, 42, 94, 176))
            self._qr(p, r(190, 85, 70, 70))
        finally:
            p.end()

    @staticmethod
    def _qr(p: QPainter, rect: QRectF) -> None:
        # A stylised QR: three finder squares and a few modules.
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#14212e"))
        s = rect.width() / 7
        for fx, fy in ((0, 0), (4, 0), (0, 4)):
            p.drawRect(QRectF(rect.x() + fx * s, rect.y() + fy * s, 3 * s, 3 * s))
        for mx, my in ((4, 4), (5, 6), (6, 4), (4, 6), (3, 5)):
            p.drawRect(QRectF(rect.x() + mx * s, rect.y() + my * s, s * 0.9, s * 0.9))


class ScanTurnScreen(Screen):
    name = "scan_turn"

    #: A code is in front of the camera: the citizen is there although they touch nothing.
    citizen_active = Signal()

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.feed: CameraFeed | None = None
        self._active = False
        self._generation = 0
        self._verifying = False
        self._last_text = ""
        self._last_text_at = -1e9
        self._entered_at = 0.0

        self.title = QLabel(wordWrap=True)
        self.title.setProperty("role", "title")
        self.subtitle = QLabel(wordWrap=True)
        self.subtitle.setProperty("role", "subtitle")
        self.illustration = TurnIllustration()
        self.phone_label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.phone_label.setProperty("role", "hint")
        self.view = CameraView()
        self.view.set_guide(1.0)  # a square where the code should go
        self.hint = QLabel(wordWrap=True)
        self.hint.setProperty("role", "message")
        self.hint.hide()
        self.no_code_button = QPushButton()
        self.no_code_button.setObjectName("scan_no_code")
        self.no_code_button.setProperty("role", "primary")
        self.no_code_button.setMinimumHeight(72)
        self.no_code_button.hide()
        self.no_code_button.clicked.connect(self._choose_without_turn)

        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.illustration)
        side.addWidget(self.phone_label)
        side.addStretch(1)
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.row.addLayout(side, 1)
        self.row.addWidget(self.view, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 40, 56, 24)  # as the other pages (kiosk.ui.widgets.page)
        layout.setSpacing(16)
        self._layout = layout
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addLayout(self.row, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.no_code_button, 0, Qt.AlignmentFlag.AlignHCenter)

        # Polls the injected clock, so tests move time with FakeClock.advance().
        self.tick = KioskTimer(500, name="scan_turn_tick", parent=self)
        self.tick.timeout.connect(self._on_tick)
        self.retranslate()

    # ------------------------------------------------------------------ lifecycle

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("scan.turn_title"))
        self.subtitle.setText(t("scan.turn_subtitle"))
        self.phone_label.setText(f"{t('scan.turn_phone')} · {t('scan.turn_paper')}")
        self.hint.setText(t("scan.turn_hint_slow"))
        self.no_code_button.setText(t("scan.turn_no_code"))
        if self._active:
            self._show_status(self.feed.status if self.feed else CameraState.STARTING)

    def on_enter(self) -> None:
        self._active = True
        self._generation += 1
        self._verifying = False
        self._last_text, self._last_text_at = "", -1e9
        self._entered_at = self.ctx.services.clock.monotonic()
        self.hint.hide()
        self.no_code_button.hide()
        self.ctx.services.camera_scene("turn_phone")
        self.feed = open_feed_for(self.view, self.ctx.services.open_camera, self)
        self.feed.frame_ready.connect(self.view.set_frame)
        self.feed.qr_found.connect(self._on_qr)
        self.feed.status_changed.connect(self._show_status)
        self._show_status(CameraState.STARTING)
        self.feed.start_qr()
        self.tick.start()

    def on_leave(self) -> None:
        self._active = False
        self._generation += 1  # a verification still running is ignored when it returns
        self.tick.stop()
        release_feed(self.feed)
        self.feed = None
        self.wipe()

    def wipe(self) -> None:
        self.view.clear()

    def set_portrait(self, portrait: bool) -> None:
        """Portrait panels: the illustration goes above the camera instead of beside it."""
        self.row.setDirection(QBoxLayout.Direction.TopToBottom if portrait
                              else QBoxLayout.Direction.LeftToRight)
        margin = 40 if portrait else 56
        self._layout.setContentsMargins(margin, 36, margin, 20)

    def refresh(self, flow: VisitFlow) -> None:
        pass

    # ------------------------------------------------------------------ camera

    def _show_status(self, status: str) -> None:
        t = self.ctx.t
        if status == CameraState.NOT_FOUND:
            self.view.set_message(t("scan.camera_not_found"))
            self.view.set_instruction("")
        elif status == CameraState.RECONNECTING:
            self.view.set_message(t("scan.camera_reconnecting"))
        elif status == CameraState.STARTING:
            self.view.set_message("")
            self.view.set_instruction(t("scan.camera_starting"))
        else:
            self.view.set_message("")
            if not self._verifying:
                self.view.set_instruction(t("scan.turn_looking"))

    def _on_qr(self, text: str) -> None:
        if not self._active:
            return
        self.citizen_active.emit()
        if self._verifying:
            return
        now = self.ctx.services.clock.monotonic()
        if text == self._last_text and now - self._last_text_at < REVERIFY_AFTER_S:
            return
        self._last_text, self._last_text_at = text, now
        self._verifying = True
        self.view.set_instruction(self.ctx.t("scan.turn_checking"), Tone.OK)
        generation = self._generation
        services = self.ctx.services
        run_off_ui(lambda: services.verify_turn(text),
                   lambda decision: self._verified(generation, decision),
                   lambda exc: self._verify_failed(generation, exc))

    def _verified(self, generation: int, decision: TurnDecision) -> None:
        if generation != self._generation or not self._active:
            return
        self._verifying = False
        flow = self.ctx.flow
        if flow.step is Step.IDENTIFY and flow.mode is IdentifyMode.QR:
            flow.turn_read(decision)  # refusals: the INFO screen explains them

    def _verify_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or not self._active:
            return
        log.error("turn verification failed: %s", type(exc).__name__)
        self._verifying = False
        self._last_text = ""  # let the citizen try the same code again
        self.view.set_instruction(self.ctx.t("scan.turn_verify_failed"), Tone.PROBLEM)

    # ------------------------------------------------------------------ time

    def _on_tick(self) -> None:
        waited = self.ctx.services.clock.monotonic() - self._entered_at
        if waited >= SLOW_HINT_AFTER_S and self.no_code_button.isHidden():
            self.hint.show()
            self.no_code_button.show()

    def _choose_without_turn(self) -> None:
        flow = self.ctx.flow
        flow.cancel()
        flow.start_walk_in()
