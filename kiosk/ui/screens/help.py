"""Help: how the kiosk works, opening hours, that the service is free, phone numbers."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QVBoxLayout, QWidget

from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import flip, label, panel
from kiosk.ui.widgets.page import Page


class HelpScreen(Page):
    name = "help"
    footer_cancel = False  # "Volver" goes home; there is no visit to cancel
    personal = False

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(40)
        steps_host = QWidget()
        steps = QVBoxLayout(steps_host)
        steps.setContentsMargins(0, 0, 0, 0)
        steps.setSpacing(16)
        self.how_title = label("", "subtitle", name="helpHowTitle")
        self.how = label("", "body", name="helpHow")
        steps.addWidget(self.how_title)
        steps.addWidget(self.how)
        steps.addStretch(1)
        facts = panel()
        facts_box = QVBoxLayout(facts)
        facts_box.setContentsMargins(32, 28, 32, 28)
        facts_box.setSpacing(14)
        self.hours_title = label("", "itemName", name="helpHoursTitle")
        self.hours = label("", "body", name="helpHours")
        self.free = label("", "message", name="helpFree")
        self.phone_title = label("", "itemName", name="helpPhoneTitle")
        self.phone = label("", "phone", wrap=False, name="helpPhone")
        self.phone_other = label("", "subtitle", name="helpPhoneOther")
        self.staff = label("", "hint", name="helpStaff")
        for w in (self.hours_title, self.hours, self.free, self.phone_title, self.phone,
                  self.phone_other, self.staff):
            facts_box.addWidget(w)
        facts_box.addStretch(1)
        self.body.addWidget(steps_host, 3)
        self.body.addWidget(facts, 2)
        self.outer.addLayout(self.body, 1)
        self.retranslate()

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.body, portrait)

    def retranslate(self) -> None:
        t = self.t
        self.title.setText(t("ui.help_title"))
        self.subtitle.setText(t("ui.help_subtitle"))
        self.how_title.setText(t("ui.help_how_title"))
        self.how.setText(t("ui.help_how"))
        self.hours_title.setText(t("ui.help_hours_title"))
        self.hours.setText(t("ui.help_hours"))
        self.free.setText(t("ui.free_service"))
        self.phone_title.setText(t("ui.help_phone_title"))
        self.phone.setText("140")
        self.phone_other.setText(t("ui.help_phone_other"))
        self.staff.setText(t("ui.help_staff"))
