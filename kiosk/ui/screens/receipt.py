"""The ticket: its number HUGE, the trámite, where to wait — and the printed receipt.

Printing (receipt_for + print_receipt) runs on the thread pool; the result comes back through a
queued signal. If the printer fails the citizen still leaves with something: the number in
large type and a QR of the ticket's status page to photograph.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QBoxLayout, QVBoxLayout, QWidget

from kiosk.domain.ports import PrintResult, Receipt
from kiosk.domain.visit import Step, VisitFlow
from kiosk.printing.receipt import wait_text
from kiosk.services import KioskServices
from kiosk.ui.context import UiContext
from kiosk.ui.idle import KioskTimer
from kiosk.ui.qr import qr_pixmap
from kiosk.ui.widgets.common import button, flip, label, panel
from kiosk.ui.widgets.page import Page

log = logging.getLogger("kiosk.ui")


class _PrintSignals(QObject):
    done = Signal(int, object, object)  # job generation, Receipt | None, PrintResult | None


class _PrintJob(QRunnable):
    def __init__(self, services: KioskServices, flow: VisitFlow, generation: int,
                 signals: _PrintSignals) -> None:
        super().__init__()
        self.services, self.flow = services, flow
        self.generation, self.signals = generation, signals

    def run(self) -> None:
        receipt: Receipt | None = None
        result: PrintResult | None = None
        try:
            receipt = self.services.receipt_for(self.flow)
            result = self.services.print_receipt(receipt)
        except Exception as exc:
            log.error("receipt printing failed: %s", type(exc).__name__)
        self.signals.done.emit(self.generation, receipt, result)


class ReceiptScreen(Page):
    name = "receipt"
    footer_back = False  # no way back from a ticket
    footer_cancel = False

    TICK_MS = 1000
    FAILURE_FACTOR = 3  # more time to photograph the screen when nothing was printed

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.generation = 0
        self.printing = False
        self.receipt: Receipt | None = None
        self.result: PrintResult | None = None
        self._signals = _PrintSignals(self)
        self._signals.done.connect(self._printed)
        self._since = 0.0
        self.timer = KioskTimer(self.TICK_MS, name="receipt_done", parent=self)
        self.timer.timeout.connect(self._tick)

        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(48)
        ticket = panel()
        ticket_box = QVBoxLayout(ticket)
        ticket_box.setContentsMargins(32, 32, 32, 32)
        self.your_turn = label("", "subtitle", name="receiptYourTurn")
        self.number = label("", "huge", wrap=False, name="receiptNumber")
        self.tramite = label("", "subtitle", name="receiptTramite")
        self.area = label("", "subtitle", name="receiptArea")
        self.priority = label("", "tagWarn", wrap=False, name="receiptPriority")
        for w in (self.your_turn, self.number, self.tramite, self.area):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            ticket_box.addWidget(w)
        ticket_box.addWidget(self.priority, 0, Qt.AlignmentFlag.AlignHCenter)
        side_host = QWidget()
        side = QVBoxLayout(side_host)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(20)
        self.status = label("", "message", name="receiptStatus")
        self.qr = label("", "qr", wrap=False, name="receiptQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_caption = label("", "hint", name="receiptQrCaption")
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sync_note = label("", "hint", name="receiptSync")
        self.wait_note = label("", "body", name="receiptWait")
        for w in (self.status, self.wait_note, self.qr, self.qr_caption, self.sync_note):
            side.addWidget(w)
        side.addStretch(1)
        self.finish_button = button("", "primary", name="receiptDone")
        self.finish_button.clicked.connect(self.finish)
        side.addWidget(self.finish_button)
        self.body.addWidget(ticket, 1)
        self.body.addWidget(side_host, 1)
        self.outer.addLayout(self.body, 1)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        flip(self.body, portrait)

    # ------------------------------------------------------------------ lifecycle

    def on_enter(self) -> None:
        flow = self.ctx.flow
        visit = flow.visit
        if flow.step is not Step.RECEIPT or visit is None or visit.ticket is None:
            return
        self.generation += 1
        self.printing = True
        self.receipt = self.result = None
        self.retranslate()
        job = _PrintJob(self.ctx.services, flow, self.generation, self._signals)
        QThreadPool.globalInstance().start(job)
        self._since = self.ctx.services.clock.monotonic()
        self.timer.start()

    def on_leave(self) -> None:
        self.timer.stop()
        self.generation += 1  # a late print result belongs to nobody now
        self.printing = False
        self.wipe()

    def _printed(self, generation: int, receipt: Receipt | None,
                 result: PrintResult | None) -> None:
        if generation != self.generation:
            return
        self.printing = False
        self.receipt, self.result = receipt, result
        if result is not None and not result.ok:
            log.warning("receipt not printed; fallback shown on screen")
        self._since = self.ctx.services.clock.monotonic()  # the countdown starts now
        self.retranslate()

    @property
    def printed_ok(self) -> bool:
        return self.result is not None and self.result.ok

    def _tick(self) -> None:
        limit = self.ctx.services.settings.done_timeout_s
        if self.printing:
            return  # never leave while the printer still works on this citizen's receipt
        if not self.printed_ok:
            limit *= self.FAILURE_FACTOR
        if self.ctx.services.clock.monotonic() - self._since >= limit:
            self.finish()

    def finish(self) -> None:
        flow = self.ctx.flow
        self.timer.stop()
        if flow.step is Step.RECEIPT:
            flow.finish()  # → DONE; the window wipes the visit and shows home
        if flow.step is Step.DONE:
            flow.done()

    # ------------------------------------------------------------------ rendering

    def retranslate(self) -> None:
        flow, t = self.ctx.flow, self.t
        visit = flow.visit
        if visit is None or visit.ticket is None or flow.tramite is None:
            return
        self.title.setText(t("ui.receipt_title"))
        self.subtitle.hide()
        self.your_turn.setText(t("ui.receipt_your_turn"))
        self.number.setText(visit.ticket.number)
        self.tramite.setText(flow.tramite.name)
        self.area.setText(t("ui.receipt_where", area=flow.tramite.service_area))
        self.priority.setText(t("ui.receipt_priority") if visit.priority else "")
        self.priority.setVisible(bool(visit.priority))
        self.finish_button.setText(t("ui.receipt_done"))
        receipt = self.receipt
        self.qr.clear()
        self.qr.hide()
        self.qr_caption.clear()
        self.wait_note.clear()
        if self.printing:
            self.status.setProperty("role", "message")
            self.status.setText(t("ui.receipt_printing"))
        elif self.printed_ok:
            self.status.setProperty("role", "message")
            self.status.setText(t("ui.receipt_printed"))
        else:
            self.status.setProperty("role", "error")
            self.status.setText(t("ui.receipt_print_failed"))
            if receipt is not None:
                self.qr.setPixmap(qr_pixmap(receipt.status_url, 340))
                self.qr.show()
                self.qr_caption.setText(t("ui.receipt_qr_caption"))
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        if receipt is not None and receipt.wait_minutes:
            # the same words as the printed receipt
            self.wait_note.setText(wait_text(self.ctx.translator, receipt.wait_minutes))
        pending = receipt.pending_sync if receipt is not None else visit.ticket.pending_sync
        self.sync_note.setText(t("ui.receipt_pending_sync") if pending else "")
        for w in (self.wait_note, self.sync_note, self.qr_caption):
            w.setVisible(bool(w.text()))

    def wipe(self) -> None:
        self.receipt = self.result = None
        for w in (self.title, self.your_turn, self.number, self.tramite, self.area, self.priority,
                  self.status, self.qr_caption, self.sync_note, self.wait_note):
            w.clear()
        self.qr.clear()
