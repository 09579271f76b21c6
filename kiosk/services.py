"""The application services the UI and the autopilot use — the seam between Qt and the rest.

`KioskServices` is a Protocol so screens can be tested with in-process fakes (tests/e2e/fakes.py)
while kiosk.app wires the real store, scanner, printer and sync worker. Qt-free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from kiosk.config import KioskSettings
    from kiosk.domain.catalog import Catalog
    from kiosk.domain.ports import Clock, PrinterStatus, PrintResult, Receipt, SyncHealth
    from kiosk.domain.records import CapturedDocument, CompletedVisit, IssuedTicket
    from kiosk.domain.requirements import ChecklistItem
    from kiosk.domain.turns import TurnDecision
    from kiosk.domain.visit import VisitFlow
    from kiosk.i18n import Translator
    from kiosk.scanning.camera import FrameSource


class KioskServices(Protocol):
    settings: KioskSettings
    catalog: Catalog  # restricted to the trámites this kiosk offers, in menu order
    clock: Clock
    translator: Translator

    def new_flow(self) -> VisitFlow:
        """A fresh visit state machine for this kiosk (agency, kiosk id, catalog)."""
        ...

    def verify_turn(self, qr_text: str) -> TurnDecision:
        """Decode + verify signature offline + apply agency/day/window/single-use rules."""
        ...

    def issue_ticket(self, visit: CompletedVisit) -> IssuedTicket:
        """Durably store visit, documents, ticket and outbox event; only then return."""
        ...

    def receipt_for(self, flow: VisitFlow) -> Receipt:
        """The receipt of the flow's issued ticket (queue position and wait estimate included)."""
        ...

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        """Print; never raises for printer trouble. Marks the ticket printed / not printed."""
        ...

    def printer_status(self) -> PrinterStatus: ...

    def open_camera(self) -> FrameSource:
        """The configured camera (a real device, or the demo media through VideoCapture)."""
        ...

    def camera_scene(self, scene: str) -> None:
        """Demo only: which demo media the simulated camera plays ("turn_phone", "id_card",
        "letter", "passport"). A no-op with a real camera."""
        ...

    def make_document(
        self, item: ChecklistItem, frame_bgr: np.ndarray, corners: tuple[tuple[float, float], ...]
    ) -> CapturedDocument:
        """Straighten and encode the captured frame to ≤ 1 MB (slow: call off the UI thread)."""
        ...

    def sync_health(self) -> SyncHealth: ...
