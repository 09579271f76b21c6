"""Base class of every full-screen page in the kiosk's stacked widget."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kiosk.domain.visit import VisitFlow
from kiosk.ui.context import UiContext


class Screen(QWidget):
    """A page renders the flow and sends the citizen's intent back to it; it holds no rule.

    Lifecycle: on_enter() when it becomes the visible page, refresh(flow) whenever the flow
    changes while it is visible, on_leave() when another page replaces it (stop cameras and
    timers there, and clear anything personal that the page displayed).
    """

    name: str = "screen"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName(f"screen_{self.name}")

    def on_enter(self) -> None:
        pass

    def refresh(self, flow: VisitFlow) -> None:
        pass

    def on_leave(self) -> None:
        pass

    def retranslate(self) -> None:
        """Language changed: set every visible text again."""
