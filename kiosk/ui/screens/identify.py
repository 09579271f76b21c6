"""Identify on the keypad.

CONFIRM (online turn): the last 4 digits of the ID the turn was booked with ("terminada en ··57").
KEYPAD (walk-in): the whole number — digits for a cédula, letters and digits for a foreigner's
code or a passport (flow.keypad_id_type()). A refused number gets its specific reason.
"""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QVBoxLayout, QWidget

from kiosk.domain.identity import IdCheck, IdType
from kiosk.domain.turns import ID_SUFFIX_DIGITS
from kiosk.domain.visit import IdentifyMode, Step, VisitFlow
from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import flip, label
from kiosk.ui.widgets.keypad import Keypad
from kiosk.ui.widgets.page import Page

MAX_LENGTH = {IdType.CEDULA: 10, IdType.FOREIGNER_CODE: 15, IdType.PASSPORT: 12}


class IdentifyScreen(Page):
    name = "identify"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.mode: IdentifyMode | None = None
        self.id_type: IdType | None = None
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(48)
        left_host = QWidget()
        left = QVBoxLayout(left_host)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(24)
        self.instruction = label("", "subtitle", name="identifyInstruction")
        self.hint = label("", "hint", name="identifyHint")
        self.message = label("", "error", name="identifyMessage")
        self.message.hide()
        left.addWidget(self.instruction)
        left.addWidget(self.hint)
        left.addWidget(self.message)
        left.addStretch(1)
        self.keypad = Keypad()
        self.keypad.submitted.connect(self._submit)
        self.keypad.changed.connect(lambda _: self._clear_message())
        self.body.addWidget(left_host, 2)
        self.body.addWidget(self.keypad, 3)
        self.outer.addLayout(self.body, 1)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.body, portrait)
        self.body.setStretch(0, 0 if portrait else 2)

    # ------------------------------------------------------------------ rendering

    def on_enter(self) -> None:
        self.mode = None

    def refresh(self, flow: VisitFlow) -> None:
        if flow.step is not Step.IDENTIFY or flow.mode is IdentifyMode.QR:
            return
        id_type = flow.keypad_id_type() if flow.mode is IdentifyMode.KEYPAD else IdType.CEDULA
        if flow.mode != self.mode or id_type != self.id_type:
            self.mode, self.id_type = flow.mode, id_type
            if flow.mode is IdentifyMode.CONFIRM:
                self.keypad.configure(alpha=False, max_length=ID_SUFFIX_DIGITS)
            else:
                self.keypad.configure(alpha=id_type is not IdType.CEDULA,
                                      max_length=MAX_LENGTH[id_type])
            self._clear_message()
        self.retranslate()

    def retranslate(self) -> None:
        flow, t = self.ctx.flow, self.t
        self.keypad.set_ok_text(t("ui.keypad_ok"))
        if self.mode is IdentifyMode.CONFIRM:
            hint = flow.visit.claims.id_hint if flow.visit and flow.visit.claims else ""
            self.title.setText(t("identity.confirm_title"))
            self.subtitle.setText("")
            self.instruction.setText(t("identity.confirm_instruction", hint=hint))
            self.hint.setText(t("identity.confirm_why"))
        elif self.mode is IdentifyMode.KEYPAD and self.id_type is not None:
            kind = self.id_type.value
            self.title.setText(t(f"identity.keypad_title_{kind}"))
            self.subtitle.setText(flow.tramite.name if flow.tramite else "")
            self.instruction.setText(t(f"identity.keypad_instruction_{kind}"))
            self.hint.setText(t("identity.keypad_privacy"))
        self.subtitle.setVisible(bool(self.subtitle.text()))

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _clear_message(self) -> None:
        if self.keypad.value:  # keep the reason visible until the citizen starts typing again
            self.message.clear()
            self.message.hide()

    def message_for(self, check: IdCheck) -> str:
        """The specific reason, in words for this kind of document when there are some."""
        specific = f"{check.message_key}_{check.id_type.value}"
        return self.t(specific if self.ctx.translator.has(specific) else check.message_key)

    # ------------------------------------------------------------------ intents

    def _submit(self, value: str) -> None:
        flow = self.ctx.flow
        if self.mode is IdentifyMode.CONFIRM:
            if len(value) != ID_SUFFIX_DIGITS:
                self._show_message(self.t("identity.confirm_need_four"))
                return
            self.keypad.clear()
            if not flow.confirm_digits(value) and flow.step is Step.IDENTIFY:
                self._show_message(self.t("identity.confirm_wrong",
                                          left=flow.confirm_attempts_left))
        elif self.mode is IdentifyMode.KEYPAD:
            check = flow.identify(value)
            if not check.ok:
                self._show_message(self.message_for(check))

    def wipe(self) -> None:
        self.keypad.clear()
        self.message.clear()
        self.message.hide()
        self.instruction.clear()
        self.subtitle.clear()
        self.mode = None
        self.id_type = None
