"""Information pages: always a clear next step and a way home, never a dead end.

NEEDS_TURN      the trámite needs an online turn: how to get one (QR), "Ya tengo mi turno"
OTHER_CHANNEL   the kiosk cannot do it (cita médica): phone 140 in large type + QR of the web page
TURN_PROBLEM    the turn code was refused: the specific reason and what to do now
UNKNOWN_TRAMITE a valid turn for a trámite this kiosk does not offer
MISSING_DOCUMENT the citizen lacks a required document
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.turns import TurnOutcome
from kiosk.domain.visit import InfoReason, VisitFlow
from kiosk.ui.context import UiContext
from kiosk.ui.qr import qr_pixmap
from kiosk.ui.widgets.common import button, flip, label
from kiosk.ui.widgets.page import Page

# Outcomes where holding the code under the camera again can help.
RETRY_OUTCOMES = frozenset({TurnOutcome.UNREADABLE, TurnOutcome.NOT_IESS, TurnOutcome.MALFORMED})


class InfoScreen(Page):
    name = "info"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.reason: InfoReason | None = None
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(48)
        text_host = QWidget()
        text_col = QVBoxLayout(text_host)
        text_col.setContentsMargins(0, 0, 0, 0)
        text_col.setSpacing(24)
        self.message = label("", "message", name="infoMessage")
        self.text = label("", "subtitle", name="infoText")
        self.phone_caption = label("", "hint", name="infoPhoneCaption")
        self.phone = label("", "phone", wrap=False, name="infoPhone")
        self.steps = label("", "body", name="infoSteps")
        for w in (self.message, self.text, self.phone_caption, self.phone, self.steps):
            text_col.addWidget(w)
        text_col.addStretch(1)
        self.primary = button("", "primary", name="infoPrimary")
        self.secondary = button("", "", name="infoSecondary")
        self.home = button("", "quiet", name="infoHome")
        self.primary.clicked.connect(self._primary)
        self.secondary.clicked.connect(self._secondary)
        self.home.clicked.connect(lambda: self.ctx.flow.cancel())
        self.action_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.action_row.setSpacing(24)
        for b in (self.home, self.secondary, self.primary):  # the main action last: right/bottom
            self.action_row.addWidget(b)
        qr_host = QWidget()
        qr_col = QVBoxLayout(qr_host)
        qr_col.setContentsMargins(0, 0, 0, 0)
        self.qr = label("", "qr", wrap=False, name="infoQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_caption = label("", "hint", name="infoQrCaption")
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_col.addStretch(1)
        qr_col.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        qr_col.addWidget(self.qr_caption)
        qr_col.addStretch(1)
        self.qr_host = qr_host
        self.body.addWidget(text_host, 3)
        self.body.addWidget(qr_host, 2)
        self.outer.addLayout(self.body, 1)
        self.outer.addLayout(self.action_row)

    # ------------------------------------------------------------------ rendering

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.body, portrait)
        # portrait: the main action on top of the column, nearest to the text
        self.action_row.setDirection(QBoxLayout.Direction.BottomToTop if portrait
                                  else QBoxLayout.Direction.LeftToRight)

    def refresh(self, flow: VisitFlow) -> None:
        self.reason = flow.info
        self.retranslate()

    def retranslate(self) -> None:
        flow, t = self.ctx.flow, self.t
        reason, tramite = flow.info, flow.tramite
        self.wipe()
        if reason is None:
            return
        self.home.setText(t("ui.back_home"))
        self.home.show()
        if reason is InfoReason.NEEDS_TURN and tramite is not None:
            self.title.setText(t("flow.needs_turn_title"))
            self.subtitle.setText(tramite.name)
            self.text.setText(t("flow.needs_turn_text"))
            self.steps.setText(t("flow.needs_turn_steps"))
            self._show_qr(tramite.online_turn_url, t("flow.needs_turn_qr"))
            self._button(self.primary, t("flow.needs_turn_have_one"))
        elif reason is InfoReason.OTHER_CHANNEL and tramite is not None:
            redirect = tramite.redirect
            self.title.setText(tramite.name)
            self.subtitle.setText(t("flow.other_channel_title"))
            if redirect is not None:
                self.text.setText(redirect.explanation)
                if redirect.phone:
                    self.phone_caption.setText(t("flow.other_channel_phone"))
                    self.phone.setText(redirect.phone)
                if redirect.url:
                    self._show_qr(redirect.url, t("flow.other_channel_qr"))
            self._button(self.secondary, t("flow.choose_other"))
        elif reason is InfoReason.TURN_PROBLEM and flow.decision is not None:
            decision = flow.decision
            outcome = decision.outcome.value
            when = decision.come_back_at.strftime("%H:%M") if decision.come_back_at else ""
            self.title.setText(t("flow.turn_problem_title"))
            self.message.setText(t(f"turn.{outcome}"))
            self.text.setText(t(f"turn.{outcome}_next", time=when))
            if when:  # "come back at" in large type: the one thing to remember
                self.phone_caption.setText(t("flow.come_back_caption"))
                self.phone.setText(when)
            if decision.outcome in RETRY_OUTCOMES:
                self._button(self.primary, t("flow.try_again"))
        elif reason is InfoReason.UNKNOWN_TRAMITE:
            self.title.setText(t("flow.unknown_tramite_title"))
            self.text.setText(t("flow.unknown_tramite_text"))
        elif reason is InfoReason.MISSING_DOCUMENT:
            self.title.setText(t("flow.missing_title"))
            self.text.setText(t("flow.missing_text"))
            self.steps.setText(t("flow.missing_steps"))
            self._button(self.primary, t("flow.missing_back_to_list"))
        for w in (self.message, self.text, self.steps, self.phone, self.phone_caption,
                  self.subtitle):
            w.setVisible(bool(w.text()))

    def _button(self, b: QPushButton, text: str) -> None:
        b.setText(text)
        b.show()

    def _show_qr(self, url: str, caption: str) -> None:
        if not url:
            return
        side = 420 if not self.portrait else 380
        self.qr.setPixmap(qr_pixmap(url, side))
        self.qr_caption.setText(caption)
        self.qr_host.show()

    def wipe(self) -> None:
        for w in (self.title, self.subtitle, self.message, self.text, self.phone,
                  self.phone_caption, self.steps, self.qr_caption):
            w.clear()
        self.qr.clear()
        self.qr_host.hide()
        for b in (self.primary, self.secondary):
            b.setText("")
            b.hide()

    # ------------------------------------------------------------------ intents

    def _primary(self) -> None:
        flow = self.ctx.flow
        if flow.info is InfoReason.NEEDS_TURN:
            flow.switch_to_turn()
        elif flow.info in (InfoReason.TURN_PROBLEM, InfoReason.MISSING_DOCUMENT):
            flow.back()  # to the camera for another try / to the checklist

    def _secondary(self) -> None:
        if self.ctx.flow.info is InfoReason.OTHER_CHANNEL:
            self.ctx.flow.back()  # to the menu
