"""Entry point and the one composition root.

`build()` wires the real parts (store, scanner, printer, sync, turn verifier) into `AppServices`,
the implementation of kiosk.services.KioskServices. Nothing is created at import time; tests and
the demo inject their own clock, camera, printer or central client through `build()`'s arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk import logs
from kiosk.config import (
    KioskSettings,
    SettingsError,
    hash_pin,
    load_settings,
    load_staff_changes,
    save_staff_changes,
)
from kiosk.domain.catalog import Catalog, CatalogError, DocumentType, load_catalog
from kiosk.domain.ports import (
    Clock,
    Printer,
    PrinterState,
    PrinterStatus,
    PrintResult,
    Receipt,
    SyncHealth,
)
from kiosk.domain.records import CapturedDocument, CompletedVisit, IssuedTicket
from kiosk.domain.requirements import ChecklistItem, resolve_checklist
from kiosk.domain.turns import ArrivalWindow, TurnDecision, TurnOutcome
from kiosk.domain.visit import VisitFlow
from kiosk.i18n import Translator

if TYPE_CHECKING:
    import numpy as np

    from kiosk.demo import DemoEnvironment
    from kiosk.scanning.camera import FrameSource
    from kiosk.store.store import KioskStore
    from kiosk.sync.worker import SyncWorker

log = logging.getLogger("kiosk.app")

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "resources" / "catalog"
VERSION = "0.1.0"
STAFF_SETTINGS_FILE = "staff-settings.json"
DEMO_STAFF_PIN = "2468"


class ZonedClock:
    """The real clock, in the kiosk's timezone (Ecuador has no DST, but we don't rely on it)."""

    def __init__(self, tz: str) -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kiosk-cau"


@dataclass
class AppServices:
    """The real KioskServices. One per running kiosk; `close()` releases everything."""

    settings: KioskSettings
    catalog: Catalog
    clock: Clock
    translator: Translator
    store: KioskStore
    printer: Printer
    data_dir: Path
    camera_factory: Callable[[], FrameSource]
    trust_path: Path
    sync: SyncWorker | None = None
    demo: DemoEnvironment | None = None
    _scene_listeners: list[Callable[[str], None]] = field(default_factory=list)
    _trust: Any = None
    _trust_mtime: float = -1.0
    _housekeeper: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    HOUSEKEEPING_S = 3600.0

    # ------------------------------------------------------------- housekeeping

    def housekeeping(self) -> int:
        """Apply the retention limits: documents and personal references of old visits go, even
        on a kiosk that never reaches the central service (the sync worker also does this)."""
        now = self.clock.now()
        purged = self.store.purge_documents(now)
        self.store.prune_records(now)
        if purged:
            log.info("housekeeping: %d document file(s) removed", purged)
        return purged

    def start_housekeeping(self) -> None:
        def loop() -> None:
            while True:
                try:
                    self.housekeeping()
                except Exception:
                    log.exception("housekeeping failed")
                if self._stopping.wait(self.HOUSEKEEPING_S):
                    return

        self._housekeeper = threading.Thread(target=loop, name="housekeeping", daemon=True)
        self._housekeeper.start()

    # ------------------------------------------------------------- visit

    def new_flow(self) -> VisitFlow:
        return VisitFlow(
            self.catalog,
            self.clock,
            agency_id=self.settings.agency_id,
            kiosk_id=self.settings.kiosk_id,
            ref_salt=self.settings.agency_id.encode(),
        )

    def _trust_list(self) -> Any:
        """The cached trust list, reloaded when the sync worker refreshes the file."""
        from kiosk.turns.trust import TrustList

        try:
            mtime = self.trust_path.stat().st_mtime
        except FileNotFoundError:
            return None
        if mtime != self._trust_mtime:
            self._trust = TrustList.load(self.trust_path)
            self._trust_mtime = mtime
        return self._trust

    def verify_turn(self, qr_text: str) -> TurnDecision:
        from kiosk.turns.check import check_turn

        trust = self._trust_list()
        if trust is None:
            # No trust list yet (never reached the central service): nothing can be verified.
            log.warning("turn check without a trust list")
            return TurnDecision(TurnOutcome.UNKNOWN_KEY)
        return check_turn(
            qr_text,
            trust=trust,
            agency_id=self.settings.agency_id,
            now=self.clock.now(),
            window=ArrivalWindow(
                self.settings.arrival_early_minutes, self.settings.arrival_late_minutes
            ),
            is_used=self.store.is_turn_used,
        )

    def issue_ticket(self, visit: CompletedVisit) -> IssuedTicket:
        ticket = self.store.complete_visit(visit)
        log.info("ticket issued (%s, %d documents)", visit.kind, len(visit.documents))
        if self.sync is not None:
            self.sync.wake()
        return ticket

    def receipt_for(self, flow: VisitFlow) -> Receipt:
        visit = flow.visit
        if visit is None or visit.ticket is None:
            raise RuntimeError("receipt requested before a ticket exists")
        # Only the ticket id is read from the flow (this runs off the UI thread); the rest comes
        # from the store, exactly as a reprint would see it.
        return self.receipt_for_ticket(visit.ticket.ticket_id)

    def receipt_for_ticket(self, ticket_id: str, *, reprint: bool = False) -> Receipt:
        facts = self.store.ticket_facts(ticket_id)
        if facts is None:
            raise KeyError(f"unknown ticket {ticket_id}")
        ticket = facts.ticket
        tramite = self.catalog.get(ticket.tramite_id)
        answers = dict(facts.answers)
        if facts.id_type:
            answers.setdefault("id_type", facts.id_type)
        checklist = resolve_checklist(tramite, answers)
        names = {item.id: item.requirement.name for item in checklist}
        captured = tuple(names.get(r, r) for r in facts.document_requirements)
        originals = tuple(i.requirement.name for i in checklist if i.requirement.present_original)
        position, wait, synced = self._queue_estimate(ticket_id, reprint=reprint)
        return Receipt(
            ticket_id=ticket.ticket_id,
            ticket_number=ticket.number,
            agency_name=self.settings.agency_name,
            tramite_name=tramite.name,
            service_area=tramite.service_area,
            issued_at=ticket.issued_at,
            kind="appointment" if ticket.kind == "appointment" else "walk_in",
            status_url=self.status_url(ticket.ticket_id),
            appointment_at=facts.slot_start,
            queue_position=position,
            wait_minutes=wait,
            captured_documents=captured,
            originals_to_show=originals,
            pending_sync=not synced,
            priority=ticket.priority,
            language=self.translator.language,
        )

    SYNC_WAIT_S = 1.5  # how long a receipt waits for the central to acknowledge its ticket

    def _queue_estimate(
        self, ticket_id: str, *, reprint: bool
    ) -> tuple[int | None, tuple[int, int] | None, bool]:
        """(position, wait range, synced). Online, the ticket usually syncs within a few hundred
        ms; then the central knows the queue. Offline the receipt says it is pending sync."""
        sync = self.sync
        if sync is None or not sync.health().online:
            ticket = self.store.get_ticket(ticket_id)
            return None, None, bool(ticket and not ticket.pending_sync)
        sync.wake()
        deadline = time.monotonic() + (0 if reprint else self.SYNC_WAIT_S)
        while True:
            ticket = self.store.get_ticket(ticket_id)
            if ticket is not None and not ticket.pending_sync:
                break
            if time.monotonic() >= deadline:
                return None, None, False
            time.sleep(0.05)
        status = sync.ticket_status(ticket_id)
        if not status or status.get("position") is None or not status.get("wait_minutes"):
            return None, None, True
        low, high = status["wait_minutes"]
        return int(status["position"]), (int(low), int(high)), True

    def reprint(self, ticket_id: str) -> PrintResult:
        """Print a ticket's receipt again (staff, once the printer is back)."""
        receipt = self.receipt_for_ticket(ticket_id, reprint=True)
        log.info("reprinting a receipt")
        return self.print_receipt(receipt)

    def status_url(self, ticket_id: str) -> str:
        base = self.settings.status_url_base
        if self.demo is not None and self.demo.central is not None:
            base = self.demo.central.url + "/t/"
        return base + ticket_id

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        try:
            result = self.printer.print_receipt(receipt)
        except Exception as exc:  # a driver bug must not cost the citizen their ticket
            log.exception("printer backend failed")
            result = PrintResult(
                False, PrinterStatus(PrinterState.ERROR, type(exc).__name__), error=str(exc)
            )
        try:
            self.store.mark_printed(receipt.ticket_id, result.ok, result.status.state.value)
        except Exception:
            log.exception("could not record the print status")
        if not result.ok:
            log.warning("receipt not printed: %s", result.status.state.value)
        return result

    def printer_status(self) -> PrinterStatus:
        try:
            return self.printer.status()
        except Exception as exc:
            return PrinterStatus(PrinterState.ERROR, type(exc).__name__)

    # ------------------------------------------------------------- camera

    def open_camera(self) -> FrameSource:
        return self.camera_factory()

    def camera_scene(self, scene: str) -> None:
        for listener in list(self._scene_listeners):
            listener(scene)

    def make_document(
        self, item: ChecklistItem, frame_bgr: np.ndarray, corners: tuple[tuple[float, float], ...]
    ) -> CapturedDocument:
        from kiosk.scanning import DocumentKind, encode_jpeg, rectify

        kinds = {
            DocumentType.ID_CARD: DocumentKind.ID_CARD,
            DocumentType.PASSPORT: DocumentKind.PASSPORT,
            DocumentType.A4: DocumentKind.A4,
        }
        page = rectify(frame_bgr, corners, kinds[item.requirement.document])
        data = encode_jpeg(page, max_bytes=1_000_000)
        return CapturedDocument(
            requirement_id=item.id,
            content_type="image/jpeg",
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
        )

    # ------------------------------------------------------------- health

    def sync_health(self) -> SyncHealth:
        if self.sync is None:
            return SyncHealth(online=False, backlog=self.store.backlog())
        return self.sync.health()

    def attach_central(self, url: str, credential: str) -> None:
        """Start syncing with the central service (at start, or once the demo's is up)."""
        from kiosk.sync.client import CentralClient
        from kiosk.sync.worker import SyncWorker

        client = CentralClient(url, self.settings.kiosk_id, credential)
        worker = SyncWorker(
            self.store,
            client,
            self.clock,
            trust_list_path=self.trust_path,
            status_provider=self.device_status,
            version=VERSION,
        )
        worker.start()  # its first round fetches the trust list: never block start-up on it
        self.sync = worker

    def device_status(self) -> dict[str, str]:
        """Printer and camera state for the heartbeat (the sync worker adds the rest)."""
        return {
            "printer": self.printer_status().state.value,
            "camera": "demo" if self.demo else str(self.settings.camera.get("source")),
        }

    def save_staff_changes(self, settings: KioskSettings) -> None:
        save_staff_changes(self.data_dir / STAFF_SETTINGS_FILE, settings)

    def close(self) -> None:
        self._stopping.set()
        if self._housekeeper is not None:
            self._housekeeper.join(timeout=10)
            self._housekeeper = None
        if self.sync is not None:
            self.sync.close()
            self.sync = None
        if self.demo is not None:
            self.demo.stop()
        self.store.close()


def build(
    settings: KioskSettings,
    *,
    data_dir: Path,
    clock: Clock | None = None,
    printer: Printer | None = None,
    camera_factory: Callable[[], FrameSource] | None = None,
    catalog_dir: Path = CATALOG_DIR,
) -> AppServices:
    """Wire the kiosk. Raises CatalogError / StoreError / SettingsError with clear messages."""
    from kiosk.printing.factory import build_printer
    from kiosk.store.store import KioskStore

    clock = clock or ZonedClock(settings.timezone)
    catalog = load_catalog(catalog_dir).restricted_to(settings.tramites)
    store = KioskStore.open(
        data_dir,
        kiosk_id=settings.kiosk_id,
        agency_id=settings.agency_id,
        clock=clock,
        ticket_block=(settings.ticket_block_start, settings.ticket_block_size),
        retention=timedelta(days=settings.retention_days),
    )
    if printer is None:
        config = dict(settings.printer)
        if config.get("backend") == "spool":
            config.setdefault("folder", str(data_dir / "spool"))
        printer = build_printer(config)
    services = AppServices(
        settings=settings,
        catalog=catalog,
        clock=clock,
        translator=Translator(settings.language),
        store=store,
        printer=printer,
        data_dir=data_dir,
        camera_factory=camera_factory or _device_camera(settings),
        trust_path=data_dir / "trust-list.json",
    )
    services.start_housekeeping()
    return services


def _device_camera(settings: KioskSettings) -> Callable[[], FrameSource]:
    def factory() -> FrameSource:
        from kiosk.scanning.camera import DeviceSource, FileSource

        cam = settings.camera
        if cam.get("source") == "file":
            return FileSource(Path(cam["path"]), loop=True)
        return DeviceSource(
            cam.get("device", 0),
            width=int(cam.get("width", 1280)),
            height=int(cam.get("height", 720)),
            fps=int(cam.get("fps", 30)),
        )

    return factory


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="kiosk", description="Kiosco CAU — IESS self-service kiosk")
    p.add_argument(
        "--demo",
        action="store_true",
        help="simulated camera, local central queue, receipts to a spool folder",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--windowed", action="store_true", help="run in a window (default: full screen)"
    )
    mode.add_argument("--fullscreen", action="store_true", help="full screen (the default)")
    p.add_argument("--data-dir", type=Path, help="where the kiosk keeps its store, keys and logs")
    p.add_argument("--config", type=Path, help="settings file (TOML)")
    p.add_argument(
        "--catalog",
        type=Path,
        default=CATALOG_DIR,
        help="catalog folder (default: the bundled one)",
    )
    p.add_argument(
        "--autopilot",
        action="store_true",
        help="drive one complete visit with a simulated citizen (needs --demo)",
    )
    p.add_argument(
        "--screenshots", type=Path, help="with --autopilot: save a PNG of every screen here"
    )
    p.add_argument("--size", default="1920x1080", help="window size with --windowed (WxH)")
    p.add_argument("--exit-when-home", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    t0 = time.perf_counter()
    args = parse_args(argv)
    if args.autopilot and not args.demo:
        print("kiosk: --autopilot needs --demo (it drives the simulated camera)", file=sys.stderr)
        return 2
    data_dir = args.data_dir or (default_data_dir() / ("demo" if args.demo else "kiosk"))
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = logs.configure(data_dir / "logs")
    except OSError as exc:
        print(
            f"kiosk: cannot use the data directory {data_dir}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    overrides: dict[str, Any] = load_staff_changes(data_dir / STAFF_SETTINGS_FILE)
    if args.demo:
        overrides.update(
            demo=True, camera={"source": "demo"}, staff_pin_hash=hash_pin(DEMO_STAFF_PIN)
        )
    try:
        settings = load_settings(args.config, **overrides)
    except SettingsError as exc:
        log.error("settings refused: %s", exc)
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    QApplication.setAttribute(Qt.ApplicationAttribute.AA_SynthesizeMouseForUnhandledTouchEvents)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from kiosk.ui.window import KioskWindow

    services: AppServices | None = None
    failure = ""
    try:
        services = build(settings, data_dir=data_dir, catalog_dir=args.catalog)
        if args.demo:
            _start_demo(services)
        elif settings.central.get("url"):
            services.attach_central(settings.central["url"], settings.central.get("credential", ""))
    except CatalogError as exc:
        log.error("catalog refused: %s", exc)
        failure = "catalog"
    except Exception as exc:
        log.exception("kiosk could not start")
        failure = type(exc).__name__
    if services is None:
        # The citizen sees the calm out-of-order page; the log holds the details.
        from kiosk.ui.fallback import OutOfOrderWindow

        window = OutOfOrderWindow(Translator(settings.language), reason=failure)
        _show(window, args)
        print(f"kiosk: out of order ({failure}); details in {log_path}", file=sys.stderr)
        if args.autopilot or args.exit_when_home:
            return 3
        return int(app.exec())
    window = KioskWindow(services, fullscreen=not args.windowed and not args.autopilot)
    _show(window, args)
    startup_ms = (time.perf_counter() - t0) * 1000
    log.info("home screen shown after %.0f ms", startup_ms)
    try:
        if args.exit_when_home:
            app.processEvents()
            print(f"startup_ms={startup_ms:.1f}")
            return 0
        if args.autopilot:
            from kiosk.autopilot import run_autopilot

            return run_autopilot(window, services, screenshots=args.screenshots)
        return int(app.exec())
    finally:
        window.close()
        services.close()


def _show(window: Any, args: argparse.Namespace) -> None:
    if args.windowed or args.autopilot:
        w, h = (int(v) for v in args.size.lower().split("x"))
        window.resize(w, h)
        window.show()
    else:
        window.showFullScreen()


def _start_demo(services: AppServices) -> None:
    from kiosk.demo import DemoEnvironment, DemoSceneSource

    demo = DemoEnvironment(
        services.data_dir,
        agency_id=services.settings.agency_id,
        kiosk_id=services.settings.kiosk_id,
        now=services.clock.now(),
    )
    services.demo = demo
    scene_source = DemoSceneSource(demo)
    services._scene_listeners.append(scene_source.select)
    services.camera_factory = lambda: scene_source

    def ready(env: DemoEnvironment) -> None:
        if env.central is not None:
            services.attach_central(env.central.url, env.central.credential)

    demo.on_ready(ready)
    demo.start()


def console_main() -> None:
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    console_main()
