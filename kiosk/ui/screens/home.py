"""Home: two big ways in (I have an online turn / I have none), language, accessibility, help."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QWidget

from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import CardButton, button, flip, label
from kiosk.ui.widgets.page import Page


class HomeScreen(Page):
    name = "home"
    footer_back = False
    footer_cancel = False
    personal = False

    language_requested = Signal()
    contrast_toggled = Signal(bool)
    large_text_toggled = Signal(bool)
    help_requested = Signal()

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.turn_button = CardButton()
        self.turn_button.setObjectName("homeTurn")
        self.turn_button.setProperty("role", "hero")
        self.turn_button.box.setContentsMargins(48, 32, 48, 32)
        self.walk_in_button = CardButton()
        self.walk_in_button.setObjectName("homeWalkIn")
        self.walk_in_button.setProperty("role", "hero")
        self.walk_in_button.box.setContentsMargins(48, 32, 48, 32)
        for hero in (self.turn_button, self.walk_in_button):
            hero.title_label.setProperty("role", "heroTitle")
            hero.text_label.setProperty("role", "heroText")
            hero.setMinimumHeight(260)
        self.turn_button.clicked.connect(lambda: self.ctx.flow.start_with_turn())
        self.walk_in_button.clicked.connect(lambda: self.ctx.flow.start_walk_in())
        self.heroes = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.heroes.setSpacing(40)
        self.heroes.addWidget(self.turn_button)
        self.heroes.addWidget(self.walk_in_button)

        self.language_button = button("", "quiet", name="homeLanguage")
        self.contrast_button = button("", "quiet", name="homeContrast")
        self.large_text_button = button("", "quiet", name="homeLargeText")
        self.help_button = button("", "quiet", name="homeHelp")
        for toggle in (self.contrast_button, self.large_text_button):
            toggle.setCheckable(True)
        self.language_button.clicked.connect(self.language_requested)
        self.contrast_button.toggled.connect(self.contrast_toggled)
        self.large_text_button.toggled.connect(self.large_text_toggled)
        self.help_button.clicked.connect(self.help_requested)
        self.tools_host = QWidget()
        self.tools = QBoxLayout(QBoxLayout.Direction.LeftToRight, self.tools_host)
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.tools.setSpacing(24)
        for tool in (self.language_button, self.contrast_button, self.large_text_button,
                     self.help_button):
            self.tools.addWidget(tool)
        self.free_note = label("", "hint", name="homeFree")
        self.free_note.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.outer.addStretch(1)
        self.outer.addLayout(self.heroes, 4)
        self.outer.addStretch(1)
        self.outer.addWidget(self.tools_host)
        row = QHBoxLayout()
        row.addWidget(self.free_note)
        self.outer.addLayout(row)
        self.retranslate()

    def set_accessibility(self, high_contrast: bool, large_text: bool) -> None:
        """Reflect the window's state without re-emitting the toggles."""
        for toggle, on in ((self.contrast_button, high_contrast),
                           (self.large_text_button, large_text)):
            toggle.blockSignals(True)
            toggle.setChecked(on)
            toggle.blockSignals(False)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.heroes, portrait)
        # four tools fit in a row in landscape; two by two would need a grid, a column is clearer
        flip(self.tools, portrait)
        for hero in (self.turn_button, self.walk_in_button):
            hero.setMinimumHeight(300 if portrait else 360)

    def retranslate(self) -> None:
        t = self.t
        self.title.setText(t("ui.home_title"))
        self.subtitle.setText(t("ui.home_subtitle"))
        self.turn_button.set_texts(t("ui.home_turn"), t("ui.home_turn_detail"))
        self.walk_in_button.set_texts(t("ui.home_walk_in"), t("ui.home_walk_in_detail"))
        self.language_button.setText(t("ui.home_language"))
        self.contrast_button.setText(t("ui.home_contrast"))
        self.large_text_button.setText(t("ui.home_large_text"))
        self.help_button.setText(t("ui.home_help"))
        self.free_note.setText(t("ui.free_service"))
