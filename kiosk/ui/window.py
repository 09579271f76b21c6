"""The kiosk window: header, a stack of full-screen pages, footer, idle overlay.

Pages are built once; the window follows the visit flow and shows, on every step change, the
page for that step (on_leave on the old page, on_enter + refresh on the new one). A page switch
is a stack index change plus the page's own refresh — well under 100 ms.

    IDLE/DONE → home        CHOOSE → choose         INFO → info
    IDENTIFY/QR → scan_turn (camera)                IDENTIFY/CONFIRM|KEYPAD → identify
    QUESTIONS → questions   CHECKLIST → checklist   CAPTURE → capture (camera)
    REVIEW → review (camera)                        RECEIPT → receipt
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk import i18n
from kiosk.config import KioskSettings
from kiosk.domain.visit import IdentifyMode, Step, VisitFlow
from kiosk.i18n import Translator
from kiosk.services import KioskServices
from kiosk.ui import theme
from kiosk.ui.context import UiContext
from kiosk.ui.errors import ErrorFunnel
from kiosk.ui.idle import IdleWatcher, KioskTimer
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.checklist import ChecklistScreen
from kiosk.ui.screens.choose import ChooseScreen
from kiosk.ui.screens.help import HelpScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.identify import IdentifyScreen
from kiosk.ui.screens.info import InfoScreen
from kiosk.ui.screens.out_of_order import OutOfOrderScreen
from kiosk.ui.screens.questions import QuestionsScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.chrome import FooterBar, HeaderBar, IdleOverlay

log = logging.getLogger("kiosk.ui")

UI_LANGUAGES = ("es", "en")  # languages with complete screen texts, in button order


def _camera_screens() -> dict[str, type[Screen]]:
    """The camera pages, built by the scanning side of the team."""
    from kiosk.ui.screens.capture import CaptureScreen
    from kiosk.ui.screens.review import ReviewScreen
    from kiosk.ui.screens.scan_turn import ScanTurnScreen

    return {"scan_turn": ScanTurnScreen, "capture": CaptureScreen, "review": ReviewScreen}


def screen_name_for(flow: VisitFlow) -> str:
    step = flow.step
    if step is Step.IDENTIFY:
        return "scan_turn" if flow.mode is IdentifyMode.QR else "identify"
    if step in (Step.IDLE, Step.DONE):
        return "home"
    return step.value  # choose, info, questions, checklist, capture, review, receipt


class KioskWindow(QWidget):
    screen_changed = Signal(str)

    TICK_MS = 1000  # header clock and housekeeping
    SYNC_POLL_TICKS = 5  # sync_health() every 5 ticks
    RECOVER_S = 30  # out-of-order after an unexpected error → home after this long

    def __init__(self, services: KioskServices, *, fullscreen: bool = True,
                 parent: QWidget | None = None, error_hooks: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("KioskWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.services = services
        settings = services.settings
        self.flow = services.new_flow()
        self.translator = Translator(settings.language)
        i18n.set_language(self.translator.language)
        self.ctx = UiContext(services, self.flow, self.translator)
        self.high_contrast = settings.high_contrast
        self.large_text = settings.large_text
        self.switch_times_ms: list[float] = []
        self.out_of_order_reason: str | None = None
        self._recover_at: float | None = None
        self._in_visit = False
        self._ticks = 0
        self._metrics: theme.Metrics | None = None
        self._qss_key: tuple[object, ...] | None = None

        # ---------------------------------------------------------- chrome and pages
        self.header = HeaderBar()
        self.header.language_clicked.connect(self.next_language)
        self.header.staff_requested.connect(self.open_staff)
        self.staff_panel: QWidget | None = None
        self.footer = FooterBar()
        self.footer.back_clicked.connect(self._back)
        self.footer.cancel_clicked.connect(self._cancel)
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # The window is always full screen: pages must not resize it (and offscreen/kiosk
        # platforms warn when a top-level's size hints change).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)

        self.screens: dict[str, Screen] = {}
        self.home = HomeScreen(self.ctx)
        pages: list[tuple[str, Screen]] = [
            ("home", self.home),
            ("choose", ChooseScreen(self.ctx)),
            ("info", InfoScreen(self.ctx)),
            ("identify", IdentifyScreen(self.ctx)),
            ("questions", QuestionsScreen(self.ctx)),
            ("checklist", ChecklistScreen(self.ctx)),
            ("receipt", ReceiptScreen(self.ctx)),
            ("help", HelpScreen(self.ctx)),
            ("out_of_order", OutOfOrderScreen(self.ctx)),
        ]
        pages += [(name, cls(self.ctx)) for name, cls in _camera_screens().items()]
        for name, page in pages:
            self.screens[name] = page
            self.stack.addWidget(page)
            active = getattr(page, "citizen_active", None)
            if active is not None:
                # Holding a document under the camera is activity, though nothing is touched.
                active.connect(self._citizen_active)
        self._current = "home"
        self.home.language_requested.connect(self.next_language)
        self.home.contrast_toggled.connect(self.set_high_contrast)
        self.home.large_text_toggled.connect(self.set_large_text)
        self.home.help_requested.connect(lambda: self._switch("help"))
        self.home.set_accessibility(self.high_contrast, self.large_text)

        # ---------------------------------------------------------- time, idle, errors
        self.overlay = IdleOverlay(self)
        self.idle = IdleWatcher(services.clock, settings.idle_timeout_s, settings.idle_warning_s,
                                parent=self)
        self.idle.warning.connect(self._idle_warning)
        self.idle.resumed.connect(self.overlay.hide)
        self.idle.expired.connect(self._idle_expired)
        self.overlay.stay_clicked.connect(self.idle.poke)
        self.ticker = KioskTimer(self.TICK_MS, name="window_tick", parent=self)
        self.ticker.timeout.connect(self._tick)
        self.errors = ErrorFunnel(self.show_out_of_order, parent=self)
        self._error_hooks = error_hooks

        self.flow.subscribe(self._on_flow)
        self.retranslate()
        self._update_header(poll_sync=True)
        self._footer_for(self.home)
        self._apply_theme(force=True)
        if fullscreen:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            self.setWindowState(Qt.WindowState.WindowFullScreen)
        if not services.catalog.tramites:
            self.show_out_of_order("catalog", recover=False)

    # ------------------------------------------------------------------ public API

    def current_screen(self) -> Screen:
        return self.screens[self._current]

    def current_name(self) -> str:
        return self._current

    def screen(self, name: str) -> Screen:  # type: ignore[override]  # the page API asked for
        return self.screens[name]

    def open_staff(self) -> None:
        """The hidden staff entry (PIN first). Never over a citizen's visit."""
        if self.flow.step is not Step.IDLE or self.staff_panel is not None:
            return
        from kiosk.ui.staff import open_staff_panel

        panel = open_staff_panel(self, self.services, self.apply_settings)
        if panel is not None:
            self.staff_panel = panel
            panel.destroyed.connect(self._staff_closed)

    def _staff_closed(self) -> None:
        self.staff_panel = None

    def apply_settings(self, settings: KioskSettings) -> None:
        """Staff changed settings (already validated): take effect now, no restart."""
        services = self.services
        services.settings = settings
        save = getattr(services, "save_staff_changes", None)
        if save is not None:
            save(settings)
        self.idle.timeout_s = settings.idle_timeout_s
        self.idle.warning_s = settings.idle_warning_s
        self.set_language(settings.language)
        self.set_high_contrast(settings.high_contrast)
        self.set_large_text(settings.large_text)
        log.info("settings applied without restart")

    def show_out_of_order(self, reason: str, *, recover: bool = True) -> None:
        """Calm out-of-order page; the visit is wiped; home again after RECOVER_S (if asked)."""
        log.info("out of order: %s", reason)
        self.out_of_order_reason = reason
        self.idle.disarm()
        self.overlay.hide()
        try:
            if self.flow.in_visit:
                self.flow.cancel()  # wipes the visit; _on_flow leaves the page alone now
        except Exception:
            log.info("flow could not be cancelled cleanly; starting a fresh one")
        self._wipe_screens()
        self._switch("out_of_order")
        self._recover_at = (self.services.clock.monotonic() + self.RECOVER_S) if recover else None

    def recover(self) -> None:
        if self.out_of_order_reason is None:
            return
        log.info("recovered from out-of-order")
        self.out_of_order_reason = None
        self._recover_at = None
        self._switch("home")

    # ------------------------------------------------------------------ flow → pages

    def _on_flow(self, flow: VisitFlow) -> None:
        if flow.step is Step.DONE:
            flow.done()  # receipt taken: wipe now; the nested notification shows home
            return
        if flow.step is Step.IDLE:
            if self._in_visit:
                self._end_visit()
            if self.out_of_order_reason is None:
                self._switch("home")
            return
        self._in_visit = True
        if flow.step is Step.RECEIPT:
            self.idle.disarm()  # the receipt page returns home by itself
            self.overlay.hide()
        else:
            self.idle.arm()
        self._switch(screen_name_for(flow))

    def _switch(self, name: str) -> None:
        started = time.perf_counter()
        new = self.screens[name]
        old = self.screens[self._current]
        if new is old:
            new.refresh(self.flow)
            return
        old.on_leave()
        self._current = name
        self._footer_for(new)
        self.stack.setCurrentWidget(new)
        new.on_enter()
        new.refresh(self.flow)
        self.switch_times_ms.append((time.perf_counter() - started) * 1000)
        self.screen_changed.emit(name)

    def _footer_for(self, page: Screen) -> None:
        self.footer.configure(getattr(page, "footer_back", True),
                              getattr(page, "footer_cancel", True))

    def _end_visit(self) -> None:
        """Nothing of this citizen may stay: wipe pages, overlay, language and accessibility."""
        self._in_visit = False
        self.idle.disarm()
        self.overlay.hide()
        self._wipe_screens()
        settings = self.services.settings
        if self.translator.language != settings.language:
            self.set_language(settings.language)
        if (self.high_contrast, self.large_text) != (settings.high_contrast, settings.large_text):
            self.high_contrast, self.large_text = settings.high_contrast, settings.large_text
            self.home.set_accessibility(self.high_contrast, self.large_text)
            self._apply_theme()

    def _wipe_screens(self) -> None:
        for page in self.screens.values():
            wipe = getattr(page, "wipe", None)
            if callable(wipe):
                wipe()

    def _citizen_active(self) -> None:
        self.idle.poke()

    def _page_busy(self) -> bool:
        """A page storing or processing the citizen's data: leaving now would orphan it."""
        return bool(getattr(self.current_screen(), "busy", False))

    def _back(self) -> None:
        if self._page_busy():
            return
        if self._current == "help" or not self.flow.in_visit:
            self._switch("home")
        else:
            self.flow.back()

    def _cancel(self) -> None:
        if self._page_busy():
            return
        if self.flow.in_visit:
            self.flow.cancel()
        else:
            self._switch("home")

    # ------------------------------------------------------------------ idle

    def _idle_warning(self, seconds_left: int) -> None:
        self.overlay.countdown.setText(self.ctx.t("ui.idle_countdown", seconds=seconds_left))
        if not self.overlay.isVisible():
            self.overlay.cover()

    def _idle_expired(self) -> None:
        self.overlay.hide()
        if self.flow.in_visit:
            log.info("visit timed out")
            self.flow.timeout()

    # ------------------------------------------------------------------ header, language, theme

    def _tick(self) -> None:
        self._ticks += 1
        self._update_header(poll_sync=self._ticks % self.SYNC_POLL_TICKS == 0)
        if self._recover_at is not None and self.services.clock.monotonic() >= self._recover_at:
            self.recover()

    def _update_header(self, *, poll_sync: bool) -> None:
        self.header.clock.setText(self.services.clock.now().strftime("%H:%M"))
        if poll_sync:
            try:
                online = self.services.sync_health().online
            except Exception:
                online = False
            self.header.offline.setVisible(not online)

    def next_language(self) -> None:
        current = self.translator.language
        i = UI_LANGUAGES.index(current) if current in UI_LANGUAGES else -1
        self.set_language(UI_LANGUAGES[(i + 1) % len(UI_LANGUAGES)])

    def set_language(self, language: str) -> None:
        self.translator = Translator(language)
        self.ctx.translator = self.translator
        i18n.set_language(self.translator.language)
        self.services.translator = self.translator  # receipts follow the citizen's language
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        narrow = self._metrics is not None and self._metrics.portrait
        self.header.brand.setText(t("ui.brand_short" if narrow else "ui.brand"))
        self.header.agency.setText(self.services.settings.agency_name)
        self.header.offline.setText(t("ui.offline"))
        lang = self.translator.language
        other = UI_LANGUAGES[(UI_LANGUAGES.index(lang) + 1) % 2] if lang in UI_LANGUAGES else "es"
        self.header.language.setText(i18n.LANGUAGES[other])
        self.footer.back.setText(t("ui.back"))
        self.footer.cancel.setText(t("ui.cancel"))
        self.overlay.title.setText(t("ui.idle_title"))
        self.overlay.stay.setText(t("ui.idle_stay"))
        for page in self.screens.values():
            page.retranslate()

    def set_high_contrast(self, on: bool) -> None:
        self.high_contrast = on
        self.home.set_accessibility(self.high_contrast, self.large_text)
        self._apply_theme()

    def set_large_text(self, on: bool) -> None:
        self.large_text = on
        self.home.set_accessibility(self.high_contrast, self.large_text)
        self._apply_theme()

    def _apply_theme(self, *, force: bool = False) -> None:
        size = self.size()
        metrics = theme.Metrics(max(size.width(), 320), max(size.height(), 320), self.large_text)
        key = (metrics.scale, metrics.large_text, self.high_contrast)
        if key != self._qss_key or force:
            self._qss_key = key
            self.setFont(theme.base_font(metrics))
            self.setStyleSheet(theme.stylesheet(metrics, high_contrast=self.high_contrast))
        if self._metrics is None or self._metrics.portrait != metrics.portrait or force:
            for page in self.screens.values():
                set_portrait = getattr(page, "set_portrait", None)
                if callable(set_portrait):
                    set_portrait(metrics.portrait)
            self._metrics = metrics
            self.header.brand.setText(self.ctx.t("ui.brand_short" if metrics.portrait
                                                 else "ui.brand"))
        self._metrics = metrics

    # ------------------------------------------------------------------ Qt events

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        if self._error_hooks:
            self.errors.install()
        self.ticker.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_theme()
        if self.overlay.isVisible():
            self.overlay.setGeometry(self.rect())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.ticker.stop()
        self.idle.shutdown()
        self.current_screen().on_leave()
        self.errors.uninstall()
        i18n.set_language(self.services.settings.language)  # a visit's choice ends with it
        QThreadPool.globalInstance().waitForDone(5000)
        super().closeEvent(event)
