"""What every screen gets: the services, the visit flow, the translator and the theme metrics."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.visit import VisitFlow
from kiosk.i18n import Translator
from kiosk.services import KioskServices


@dataclass
class UiContext:
    services: KioskServices
    flow: VisitFlow
    translator: Translator

    def t(self, key: str, **values: object) -> str:
        return self.translator.t(key, **values)
