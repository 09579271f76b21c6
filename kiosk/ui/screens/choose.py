"""Choose the trámite: sections as in the Portafolio de Servicios, one big card per trámite."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk.ui.context import UiContext
from kiosk.ui.widgets.common import CardButton, kinetic_scroll, label
from kiosk.ui.widgets.page import Page


class ChooseScreen(Page):
    name = "choose"
    personal = False  # the menu is the same for everyone

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.cards: dict[str, CardButton] = {}
        self._sections: list[tuple[str, QLabel, QGridLayout, list[CardButton]]] = []
        content = QWidget()
        self.list_layout = QVBoxLayout(content)
        self.list_layout.setContentsMargins(0, 0, 16, 0)
        self.list_layout.setSpacing(20)
        catalog = ctx.services.catalog
        for group in catalog.groups:
            tramites = catalog.in_group(group.id, [t.id for t in catalog.tramites])
            if not tramites:
                continue
            heading = label(group.name, "subtitle", name=f"group_{group.id}")
            heading.setProperty("role", "groupTitle")
            self.list_layout.addWidget(heading)
            grid_host = QWidget()
            grid = QGridLayout(grid_host)
            grid.setContentsMargins(0, 0, 0, 12)
            grid.setSpacing(20)
            cards = []
            for tramite in tramites:
                card = CardButton(tramite.name, tramite.description)
                card.setObjectName(f"tramite_{tramite.id}")
                card.clicked.connect(lambda _=False, tid=tramite.id: self._choose(tid))
                self.cards[tramite.id] = card
                cards.append(card)
            self.list_layout.addWidget(grid_host)
            self._sections.append((group.id, heading, grid, cards))
        self.list_layout.addStretch(1)
        self.list_area = kinetic_scroll(content)
        self.outer.addWidget(self.list_area, 1)
        self._layout_cards(columns=2)
        self.retranslate()

    def _choose(self, tramite_id: str) -> None:
        self.ctx.flow.choose_tramite(tramite_id)

    def _layout_cards(self, columns: int) -> None:
        for _, _, grid, cards in self._sections:
            for card in cards:
                grid.removeWidget(card)
            span = columns if len(cards) == 1 else 1  # a lone card takes the whole row
            for i, card in enumerate(cards):
                grid.addWidget(card, i // columns, i % columns, 1, span)
            for c in range(2):
                grid.setColumnStretch(c, 1 if c < columns else 0)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self._layout_cards(1 if portrait else 2)

    def on_enter(self) -> None:
        self.list_area.verticalScrollBar().setValue(0)

    def retranslate(self) -> None:
        self.title.setText(self.t("ui.choose_title"))
        self.subtitle.setText(self.t("ui.choose_subtitle"))
        catalog = self.ctx.services.catalog
        for group_id, heading, _, _ in self._sections:
            group = next(g for g in catalog.groups if g.id == group_id)
            heading.setText(self.localized(f"catalog_ui.group_{group_id}", group.name))
        for tramite in catalog.tramites:
            card = self.cards.get(tramite.id)
            if card is not None:
                card.set_texts(
                    self.localized(f"catalog_ui.{tramite.id}_name", tramite.name),
                    self.localized(f"catalog_ui.{tramite.id}_description", tramite.description),
                )
