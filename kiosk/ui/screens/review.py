"""REVIEW: every captured document as a thumbnail with "Repetir", a short summary, and the
confirmation that stores the visit and issues the ticket.

Thumbnails are decoded on the thread pool; storing runs on the thread pool too ("Guardando…"). A
failure to store leaves every capture in the flow, so the citizen just tries again. Leaving the
screen clears the thumbnails: one citizen's documents never stay on screen for the next.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.records import CapturedDocument, IssuedTicket
from kiosk.domain.visit import Step, VisitFlow
from kiosk.ui.camera_feed import decode_thumbnail, run_off_ui
from kiosk.ui.context import UiContext
from kiosk.ui.screens.base import Screen

log = logging.getLogger("kiosk.ui.review")

THUMB_W, THUMB_H = 240, 220
COLUMNS = 4  # landscape; 2 in portrait


def page_icon(width: int = THUMB_W, height: int = THUMB_H, label: str = "") -> QPixmap:
    """A drawn page with a folded corner, for PDFs and documents that cannot be previewed."""
    pix = QPixmap(width, height)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = width * 0.6, height * 0.8
        x, y = (width - w) / 2, (height - h) / 2
        fold = w * 0.25
        p.setPen(QPen(QColor("#46566A"), 3))
        p.setBrush(QColor("white"))
        p.drawPolygon(QPolygonF([QPointF(x, y), QPointF(x + w - fold, y), QPointF(x + w, y + fold),
                                 QPointF(x + w, y + h), QPointF(x, y + h)]))
        for i in range(5):
            ly = y + h * (0.35 + i * 0.1)
            p.drawLine(QPointF(x + w * 0.15, ly), QPointF(x + w * 0.85, ly))
        if label:
            p.setPen(QColor("#A4161A"))
            font = p.font()
            font.setPixelSize(int(h * 0.12))
            font.setBold(True)
            p.setFont(font)
            p.drawText(pix.rect().adjusted(0, int(y + h * 0.05), 0, 0),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
    finally:
        p.end()
    return pix


def _set_role(widget: QWidget, role: str) -> None:
    """Change a QSS role property and re-apply the style sheet to it."""
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class DocumentCard(QFrame):
    def __init__(self, requirement_id: str, name: str, retake_text: str) -> None:
        super().__init__()
        self.requirement_id = requirement_id
        self.setProperty("role", "item")
        self.setObjectName(f"review_card_{requirement_id}")
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(THUMB_W, THUMB_H)
        self.name = QLabel(name, wordWrap=True)
        self.name.setProperty("role", "itemName")
        self.retake = QPushButton(retake_text)
        self.retake.setObjectName(f"review_retake_{requirement_id}")
        self.retake.setMinimumHeight(64)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.name)
        layout.addWidget(self.retake)

    def set_image(self, image: QImage | None, pdf_label: str) -> None:
        if image is None or image.isNull():
            self.image.setPixmap(page_icon(label=pdf_label))
        else:
            self.image.setPixmap(QPixmap.fromImage(image).scaled(
                THUMB_W, THUMB_H, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))


class ReviewScreen(Screen):
    name = "review"

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx)
        self.cards: dict[str, DocumentCard] = {}
        self._active = False
        self._generation = 0
        self.saving = False

        self.title = QLabel(wordWrap=True)
        self.title.setProperty("role", "title")
        self.subtitle = QLabel(wordWrap=True)
        self.subtitle.setProperty("role", "subtitle")
        self.summary = QLabel(wordWrap=True)
        self.summary.setObjectName("review_summary")
        self.summary.setProperty("role", "hint")
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)  # cards keep their size, rows stack up
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.grid_host)
        self.status = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.status.setObjectName("review_status")
        self.status.hide()
        self.confirm_button = QPushButton()
        self.confirm_button.setObjectName("review_confirm")
        self.confirm_button.setProperty("role", "hero")
        self.confirm_button.setMinimumHeight(80)
        self.confirm_button.clicked.connect(self.confirm)

        self._columns = COLUMNS
        layout = QVBoxLayout(self)
        layout.setContentsMargins(56, 40, 56, 24)  # as the other pages (kiosk.ui.widgets.page)
        layout.setSpacing(20)
        self._layout = layout
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.summary)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.confirm_button)
        self.retranslate()

    @property
    def busy(self) -> bool:
        """True while the visit is being stored: leaving now (back, cancel) would orphan a ticket
        that is about to exist; the window may hold such intents until this is False."""
        return self.saving

    # ------------------------------------------------------------------ lifecycle

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("review.title"))
        self.subtitle.setText(t("review.subtitle"))
        self.confirm_button.setText(t("review.confirm"))
        for card in self.cards.values():
            card.retake.setText(t("review.retake"))
        if self._active:
            self._render_summary(self.ctx.flow)

    def on_enter(self) -> None:
        self._active = True
        self._generation += 1
        self.saving = False
        self.status.hide()
        self.confirm_button.setEnabled(True)
        self._build(self.ctx.flow)

    def on_leave(self) -> None:
        self._active = False
        self._generation += 1  # thumbnails or a ticket arriving later are ignored
        self.wipe()

    def wipe(self) -> None:
        """Forget every thumbnail and the summary (called on leave and when a visit ends)."""
        self._clear_cards()
        self.summary.clear()
        self.status.hide()

    def set_portrait(self, portrait: bool) -> None:
        self._columns = 2 if portrait else COLUMNS
        margin = 40 if portrait else 56
        self._layout.setContentsMargins(margin, 36, margin, 20)
        if self._active and not self.saving:
            self._build(self.ctx.flow)

    def refresh(self, flow: VisitFlow) -> None:
        if self._active and flow.step is Step.REVIEW and not self.saving:
            captured = set(flow.visit.captures) if flow.visit else set()
            if captured != set(self.cards):
                self._build(flow)

    # ------------------------------------------------------------------ rendering

    def _clear_cards(self) -> None:
        for card in self.cards.values():
            card.image.clear()
            self.grid.removeWidget(card)
            card.deleteLater()
        self.cards.clear()

    def _build(self, flow: VisitFlow) -> None:
        self._clear_cards()
        self._render_summary(flow)
        visit = flow.visit
        captures = dict(visit.captures) if visit else {}
        docs: list[CapturedDocument] = []
        for index, item in enumerate(i for i in flow.to_capture() if i.id in captures):
            card = DocumentCard(item.id, item.requirement.name, self.ctx.t("review.retake"))
            card.retake.clicked.connect(lambda _=False, rid=item.id: self._retake(rid))
            self.grid.addWidget(card, index // self._columns, index % self._columns)
            self.cards[item.id] = card
            docs.append(captures[item.id])
        if not docs:
            empty = QLabel(self.ctx.t("review.no_documents"), wordWrap=True)
            empty.setProperty("role", "hint")
            self.grid.addWidget(empty, 0, 0)
            return
        generation = self._generation

        def decode() -> list[tuple[str, QImage | None]]:
            return [(d.requirement_id, decode_thumbnail(d.data, d.content_type)) for d in docs]

        icons_only: list[tuple[str, QImage | None]] = [(d.requirement_id, None) for d in docs]
        run_off_ui(decode, lambda result: self._thumbnails(generation, result),
                   lambda exc: self._thumbnails(generation, icons_only))

    def _thumbnails(self, generation: int, result: list[tuple[str, QImage | None]]) -> None:
        if generation != self._generation or not self._active:
            return
        pdf = self.ctx.t("review.pdf")
        for requirement_id, image in result:
            card = self.cards.get(requirement_id)
            if card is not None:
                card.set_image(image, pdf if image is None else "")

    def _render_summary(self, flow: VisitFlow) -> None:
        visit = flow.visit
        if visit is None or visit.tramite is None:
            self.summary.clear()
            return
        t = self.ctx.t
        lines = [t("review.tramite", name=visit.tramite.name)]
        if visit.claims is not None:
            # Tokens carry UTC: show the slot in the kiosk's own time, as the header clock does.
            local = visit.claims.slot_start.astimezone(self.ctx.services.clock.now().tzinfo)
            lines.append(t("review.with_turn", time=local.strftime("%H:%M")))
            digits = visit.claims.id_hint
        else:
            lines.append(t("review.walk_in"))
            digits = visit.id_number[-2:] if visit.id_number else ""
        if digits:
            lines.append(t("review.identity", digits=digits))
        lines.append(t("review.priority_yes") if visit.priority else t("review.priority_no"))
        self.summary.setText("  ·  ".join(lines))

    # ------------------------------------------------------------------ intents

    def _retake(self, requirement_id: str) -> None:
        if not self.saving and self.ctx.flow.step is Step.REVIEW:
            self.ctx.flow.retake(requirement_id)

    def confirm(self) -> None:
        flow = self.ctx.flow
        if self.saving or flow.step is not Step.REVIEW:
            return
        record = flow.review_confirmed()
        self.saving = True
        self.confirm_button.setEnabled(False)
        for card in self.cards.values():
            card.retake.setEnabled(False)
        _set_role(self.status, "message")
        self.status.setText(self.ctx.t("review.saving"))
        self.status.show()
        generation = self._generation
        services = self.ctx.services
        run_off_ui(lambda: services.issue_ticket(record),
                   lambda ticket: self._issued(generation, ticket),
                   lambda exc: self._store_failed(generation, exc))

    def _issued(self, generation: int, ticket: IssuedTicket) -> None:
        if generation != self._generation or not self._active:
            return
        self.saving = False
        self.status.hide()
        if self.ctx.flow.step is Step.REVIEW:
            self.ctx.flow.ticket_issued(ticket)

    def _store_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or not self._active:
            return
        log.error("the visit could not be stored: %s", type(exc).__name__)
        self.saving = False
        _set_role(self.status, "error")
        self.status.setText(self.ctx.t("review.store_failed"))
        self.status.show()
        self.confirm_button.setEnabled(True)
        for card in self.cards.values():
            card.retake.setEnabled(True)
