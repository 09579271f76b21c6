"""The computed checklist: what is scanned here, what is shown at the counter, what must be
signed; then "Tengo todo, empezar" or "No tengo un documento"."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.domain.requirements import ChecklistItem
from kiosk.domain.visit import Step, VisitFlow
from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import button, clear_layout, flip, kinetic_scroll, label, panel
from kiosk.ui.widgets.page import Page


class ChecklistScreen(Page):
    name = "checklist"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        content = QWidget()
        self.items = QVBoxLayout(content)
        self.items.setContentsMargins(0, 0, 16, 0)
        self.items.setSpacing(18)
        self.list_area = kinetic_scroll(content)
        self.outer.addWidget(self.list_area, 1)
        self.notes = label("", "hint", name="checklistNotes")
        self.outer.addWidget(self.notes)
        self.action_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.action_row.setSpacing(32)
        self.missing = button("", "", name="checklistMissing")
        self.start = button("", "primary", name="checklistStart")
        self.missing.clicked.connect(lambda: self.ctx.flow.document_missing())
        self.start.clicked.connect(lambda: self.ctx.flow.checklist_confirmed())
        self.action_row.addWidget(self.missing, 2)
        self.action_row.addWidget(self.start, 3)
        self.outer.addLayout(self.action_row)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.action_row, portrait)
        if portrait:  # the main action first, nearest to the eye
            self.action_row.setDirection(QBoxLayout.Direction.BottomToTop)

    def on_enter(self) -> None:
        self.list_area.verticalScrollBar().setValue(0)

    def refresh(self, flow: VisitFlow) -> None:
        if flow.step is Step.CHECKLIST:
            self.retranslate()

    def retranslate(self) -> None:
        flow, t = self.ctx.flow, self.t
        self.wipe()
        if flow.tramite is None or flow.step is not Step.CHECKLIST:
            return
        self.title.setText(t("ui.checklist_title"))
        self.subtitle.setText(flow.tramite.name)
        for item in flow.checklist():
            frame = self._item(item)
            self.items.addWidget(frame)
            frame.show()
        self.items.addStretch(1)
        self.notes.setText(t("ui.checklist_rejected"))
        self.missing.setText(t("ui.checklist_missing"))
        self.start.setText(t("ui.checklist_start"))

    def _item(self, item: ChecklistItem) -> QWidget:
        req, t = item.requirement, self.t
        frame = panel("item")
        frame.setObjectName(f"item_{req.id}")
        box = QVBoxLayout(frame)
        box.setContentsMargins(28, 18, 20, 18)
        box.setSpacing(8)
        box.addWidget(label(req.name, "itemName"))
        if req.detail:
            box.addWidget(label(req.detail, "hint"))
        tags = QHBoxLayout()
        tags.setSpacing(12)
        if req.capture:
            tags.addWidget(label(t("ui.checklist_scan_here"), "tag", wrap=False))
        if req.present_original:
            tags.addWidget(label(t("ui.checklist_show_original"), "tagWarn", wrap=False))
        if req.signature_required:
            tags.addWidget(label(t("ui.checklist_signature"), "tagWarn", wrap=False))
        tags.addStretch(1)
        box.addLayout(tags)
        return frame

    def wipe(self) -> None:
        clear_layout(self.items)
        self.title.clear()
        self.subtitle.clear()
