"""A calm "fuera de servicio" page: what to do instead, never a technical detail."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import label
from kiosk.ui.widgets.page import Page


class OutOfOrderScreen(Page):
    name = "out_of_order"
    footer_back = False
    footer_cancel = False
    personal = False

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.what = label("", "message", name="outOfOrderWhat")
        self.sorry = label("", "hint", name="outOfOrderSorry")
        self.sorry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.outer.insertStretch(0, 1)
        self.outer.addSpacing(32)
        self.outer.addWidget(self.what)
        self.outer.addWidget(self.sorry)
        self.outer.addStretch(2)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.t("ui.out_of_order_title"))
        self.subtitle.setText(self.t("ui.out_of_order_subtitle"))
        self.what.setText(self.t("ui.out_of_order_what"))
        self.sorry.setText(self.t("ui.out_of_order_sorry"))
