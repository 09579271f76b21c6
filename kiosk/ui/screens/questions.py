"""One question per page, big option buttons (flow.pending_question())."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from kiosk.domain.visit import PRIORITY_QUESTION, Step, VisitFlow
from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import button, clear_layout, label
from kiosk.ui.widgets.page import Page


class QuestionsScreen(Page):
    name = "questions"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.question_id: str | None = None
        self.detail = label("", "hint", name="questionDetail")
        self.outer.addWidget(self.detail)
        self.outer.addSpacing(24)
        host = QWidget()
        self.options = QVBoxLayout(host)
        self.options.setContentsMargins(0, 0, 0, 0)
        self.options.setSpacing(28)
        self.outer.addWidget(host)
        self.outer.addStretch(1)
        self.option_buttons: dict[str, QPushButton] = {}

    def refresh(self, flow: VisitFlow) -> None:
        if flow.step is not Step.QUESTIONS:
            return
        self.retranslate()

    def retranslate(self) -> None:
        flow, t = self.ctx.flow, self.t
        question = flow.pending_question()
        self.wipe()
        if question is None or flow.step is not Step.QUESTIONS:
            return
        self.question_id = question.id
        self.subtitle.setText(flow.tramite.name if flow.tramite else "")
        if question is PRIORITY_QUESTION:
            self.title.setText(t("flow.priority_question"))
            self.detail.setText(t("flow.priority_detail"))
            options = [("yes", t("flow.priority_yes")), ("no", t("flow.priority_no"))]
        else:
            tid = flow.tramite.id if flow.tramite else ""
            self.title.setText(self.localized(f"catalog_ui.{tid}_{question.id}", question.text))
            options = [
                (o.value, self.localized(f"catalog_ui.{tid}_{question.id}_{o.value}", o.label))
                for o in question.options
            ]
        for value, text in options:
            b = button(text, "option", name=f"option_{value}")
            b.clicked.connect(lambda _=False, qid=question.id, v=value: self._answer(qid, v))
            self.options.addWidget(b)
            b.show()  # at once, not on the next event-loop turn (a fast tap must find it)
            self.option_buttons[value] = b
        self.detail.setVisible(bool(self.detail.text()))

    def _answer(self, question_id: str, value: str) -> None:
        self.ctx.flow.answer(question_id, value)

    def wipe(self) -> None:
        clear_layout(self.options)
        self.option_buttons = {}
        self.question_id = None
        self.title.clear()
        self.subtitle.clear()
        self.detail.clear()
