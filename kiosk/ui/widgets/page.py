"""What the kiosk's own screens share on top of kiosk.ui.screens.base.Screen: a title area,
footer preferences, orientation, and a `wipe()` that clears everything personal."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.i18n import MissingMessage
from kiosk.ui.context import UiContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.common import label


class Page(Screen):
    """A Screen with a title, a subtitle and a body layout under them."""

    footer_back = True  # the window's footer shows "Volver" on this page
    footer_cancel = True  # … and "Cancelar"
    personal = True  # shows something of the visit: wiped when the visit ends

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.portrait = False
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(56, 40, 56, 24)
        self.outer.setSpacing(24)
        self.title = label("", "title", name="title")
        self.subtitle = label("", "subtitle", name="subtitle")
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.subtitle)

    def t(self, key: str, **values: Any) -> str:
        return self.ctx.t(key, **values)

    def localized(self, key: str, default: str) -> str:
        """Catalog text (Spanish, from the official sheets) unless the current language has it."""
        if self.ctx.translator.language == "es":
            return default
        try:
            return self.ctx.t(key)
        except MissingMessage:
            return default

    def set_portrait(self, portrait: bool) -> None:
        self.portrait = portrait
        margin = 40 if portrait else 56
        self.outer.setContentsMargins(margin, 36, margin, 20)

    def wipe(self) -> None:
        """Forget everything of the visit this page displayed."""

    def on_leave(self) -> None:
        self.wipe()


def all_texts(root: QWidget) -> list[str]:
    """Every text a citizen could read on `root` (labels, buttons), for the privacy tests."""
    texts = []
    for child in root.findChildren(QWidget):
        text = getattr(child, "text", None)
        if callable(text):
            try:
                value = text()
            except TypeError:
                continue
            if isinstance(value, str) and value:
                texts.append(value)
    return texts
