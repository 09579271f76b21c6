"""The citizen's receipt: one layout, rendered to PDF (reportlab) or to a raster image (PIL).

The layout is computed first, as a list of positioned items in PDF points measured from the top
of the page; the PDF and the raster renderers only draw those items. That keeps the two
renditions identical, lets the roll page be exactly as long as its content, and lets tests check
the geometry (nothing drawn outside the 72 mm printable width) without parsing a PDF.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

from kiosk.domain.ports import Receipt
from kiosk.i18n import Translator
from kiosk.printing.fonts import EMBEDDED, FontSet, ensure_registered, pil_font

Paper = Literal["roll80", "a4"]

MM = 72.0 / 25.4  # points per millimetre
MIN_SCALE = 0.7  # smallest type scale on A4 before the page is allowed to grow
QR_MASK = 2


@dataclass(frozen=True)
class PaperSpec:
    page_width: float  # points
    content_width: float  # points
    top: float
    bottom: float
    scale: float  # type sizes are multiplied by this
    fixed_height: float | None  # None: as long as the content (roll)


PAPERS: dict[str, PaperSpec] = {
    # 80 mm roll: 72 mm printable (576 dots at 203 dpi), 4 mm side margins.
    "roll80": PaperSpec(80 * MM, 72 * MM, 4 * MM, 8 * MM, 1.0, None),
    # A4 fallback for an office printer: the same receipt, larger, in a centred column.
    "a4": PaperSpec(210 * MM, 120 * MM, 20 * MM, 20 * MM, 1.45, 297 * MM),
}


# ---------------------------------------------------------------- layout items


@dataclass(frozen=True)
class TextItem:
    x: float  # left edge
    baseline: float  # from the top of the page
    text: str
    size: float
    bold: bool = False
    width: float = 0.0  # measured advance width
    white: bool = False  # white on a filled box


@dataclass(frozen=True)
class BoxItem:
    x: float
    y: float  # top
    w: float
    h: float
    filled: bool
    line_width: float = 0.8


@dataclass(frozen=True)
class QrItem:
    x: float
    y: float
    size: float  # side, quiet zone included
    modules: tuple[tuple[bool, ...], ...]  # quiet zone included


Item = TextItem | BoxItem | QrItem


@dataclass
class ReceiptLayout:
    paper: str
    page_width: float
    page_height: float
    left: float  # content column
    content_width: float
    fonts: FontSet
    items: list[Item] = field(default_factory=list)
    content_bottom: float = 0.0  # where the content (plus bottom margin) ends

    def texts(self) -> list[str]:
        return [i.text for i in self.items if isinstance(i, TextItem)]


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=4096)
def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(stringWidth(text, font, size))


def wrap_text(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap by measured width; words wider than a line (URLs) break anywhere."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if _width(candidate, font, size) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
                current = ""
            while _width(word, font, size) > max_width:
                # The longest prefix that fits (at least one character, so this terminates).
                cut = 1
                while cut < len(word) and _width(word[: cut + 1], font, size) <= max_width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


@lru_cache(maxsize=64)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """QR modules with the 4-module quiet zone; medium error correction survives a smudged roll."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # A fixed mask: choosing the "best" of the eight costs ~10x the whole QR (8 trial
    # encodings + penalty scoring); every mask is valid, and decoding is verified in tests.
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, mask_pattern=QR_MASK)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in qr.get_matrix())


def format_date(tr: Translator, when: datetime) -> str:
    return tr(
        "receipt.date_format",
        weekday=tr(f"receipt.weekday_{when.weekday()}"),
        day=when.day,
        month=tr(f"receipt.month_{when.month}"),
        year=when.year,
    )


def wait_text(tr: Translator, wait: tuple[int, int]) -> str:
    low, high = sorted(wait)
    if high <= 0:
        return tr("receipt.wait_soon")
    if low == high:
        return tr("receipt.wait_about", minutes=high)
    if low <= 0:
        return tr("receipt.wait_under", minutes=high)  # "entre 0 y 5" reads oddly
    return tr("receipt.wait_range", low=low, high=high)


class _Builder:
    """Stacks items top-down in the content column, tracking the current y."""

    def __init__(self, layout: ReceiptLayout, top: float, scale: float) -> None:
        self.lay = layout
        self.y = top
        self.s = scale
        self.left = layout.left
        self.width = layout.content_width
        self.right = layout.left + layout.content_width

    def font(self, bold: bool) -> str:
        return self.lay.fonts.bold if bold else self.lay.fonts.regular

    def gap(self, pts: float) -> None:
        self.y += pts * self.s

    def line(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: Literal["left", "center"] = "center",
        indent: float = 0.0,
        white: bool = False,
        leading: float = 1.22,
    ) -> None:
        size *= self.s
        font = self.font(bold)
        x0 = self.left + indent
        for ln in wrap_text(text, font, size, self.width - indent):
            w = _width(ln, font, size)
            x = x0 + (self.width - indent - w) / 2 if align == "center" else x0
            # Baseline at ~0.93 em below the line top (DejaVu ascent), then a leading step.
            self.lay.items.append(TextItem(x, self.y + 0.93 * size, ln, size, bold, w, white))
            self.y += size * leading

    def bulleted(self, marker: str, text: str, size: float, *, bold: bool = False) -> None:
        """A list entry with a hanging indent: wrapped lines align after the marker. The
        marker and the first line are one string, so text extraction reads "✓ Cédula"."""
        size *= self.s
        font = self.font(bold)
        indent = _width(marker + " ", font, size)
        lines = wrap_text(text, font, size, self.width - indent)
        for n, ln in enumerate(lines):
            shown, x = (f"{marker} {ln}", self.left) if n == 0 else (ln, self.left + indent)
            w = _width(shown, font, size)
            self.lay.items.append(TextItem(x, self.y + 0.93 * size, shown, size, bold, w))
            self.y += size * 1.22

    def rule(self, thickness: float = 0.8, before: float = 3.0, after: float = 4.0) -> None:
        self.gap(before)
        self.lay.items.append(BoxItem(self.left, self.y, self.width, thickness, filled=True))
        self.y += thickness
        self.gap(after)

    def boxed(self, draw: Callable[[], None], *, filled: bool, pad: float = 3.0) -> None:
        """Run draw() inside a box: outlined (notice) or filled black (white text)."""
        top = self.y
        index = len(self.lay.items)
        self.gap(pad)
        saved_left, saved_width = self.left, self.width
        inset = pad * self.s
        self.left, self.width = self.left + inset, self.width - 2 * inset
        draw()
        self.left, self.width = saved_left, saved_width
        self.gap(pad - 1.5)
        box = BoxItem(self.left, top, self.width, self.y - top, filled=filled)
        self.lay.items.insert(index, box)  # behind its text

    def qr(self, data: str, side_mm: float) -> None:
        modules = qr_matrix(data)
        side = min(side_mm * MM * self.s, self.width)
        x = self.left + (self.width - side) / 2
        self.lay.items.append(QrItem(x, self.y, side, modules))
        self.y += side


# ---------------------------------------------------------------- layout


def layout_receipt(
    receipt: Receipt, *, paper: Paper = "roll80", fonts: FontSet | None = None
) -> ReceiptLayout:
    """Position every element of the receipt; the roll page height follows the content."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; expected one of {sorted(PAPERS)}")
    fonts = fonts or ensure_registered()
    spec = PAPERS[paper]
    lay = _layout(receipt, paper, spec, fonts, spec.scale)
    if spec.fixed_height is None or lay.content_bottom <= spec.fixed_height:
        return lay
    # Too much for one sheet at the large size: the roll's sizes, then smaller still, so the
    # receipt stays on one page (a second sheet gets separated from the first).
    scale = min(1.0, spec.scale)
    for _ in range(4):
        lay = _layout(receipt, paper, spec, fonts, scale)
        if lay.content_bottom <= spec.fixed_height or scale <= MIN_SCALE:
            break
        usable = spec.fixed_height - spec.top - spec.bottom
        scale = max(
            MIN_SCALE, scale * usable / (lay.content_bottom - spec.top - spec.bottom) * 0.98
        )
    if lay.content_bottom > spec.fixed_height:
        lay.page_height = lay.content_bottom  # last resort: longer than A4 rather than clipped
    return lay


def _layout(
    receipt: Receipt, paper: str, spec: PaperSpec, fonts: FontSet, scale: float
) -> ReceiptLayout:
    tr = Translator(receipt.language)
    left = (spec.page_width - spec.content_width) / 2
    lay = ReceiptLayout(paper, spec.page_width, 0.0, left, spec.content_width, fonts)
    b = _Builder(lay, spec.top, scale)
    check = tr("receipt.check") if fonts.embedded else "+"  # standard fonts lack ✓ (baseline)
    bullet = tr("receipt.bullet")

    # Header: institution and agency.
    b.line(tr("receipt.institution_short"), 20, bold=True, leading=1.1)
    b.line(tr("receipt.institution"), 7.5)
    b.gap(1)
    b.line(receipt.agency_name, 10, bold=True)
    b.rule(1.2, before=2, after=4)

    if receipt.priority:
        b.boxed(lambda: b.line(tr("receipt.priority"), 12, bold=True, white=True), filled=True)
        b.gap(4)

    # The ticket number, as large as the column allows (capped so short numbers stay sane).
    b.line(tr("receipt.your_turn"), 9, bold=True)
    number_font = fonts.bold
    unit = _width(receipt.ticket_number, number_font, 1.0) or 1.0
    number_size = min(60.0 * scale, b.width * 0.96 / unit)
    b.line(receipt.ticket_number, number_size / scale, bold=True, leading=1.08)
    b.gap(2)

    b.line(receipt.tramite_name, 11, bold=True)
    b.gap(1)
    b.line(tr("receipt.service_area", area=receipt.service_area), 9)
    if receipt.kind == "appointment" and receipt.appointment_at is not None:
        at = receipt.appointment_at.strftime("%H:%M")
        b.line(tr("receipt.appointment", time=at), 10, bold=True)
    else:
        b.line(tr("receipt.walk_in"), 9)
    issued = receipt.issued_at
    b.line(tr("receipt.issued_at", date=format_date(tr, issued), time=issued.strftime("%H:%M")), 8)

    if receipt.queue_position is not None or receipt.wait_minutes is not None:
        b.gap(3)

        def queue_block() -> None:
            if receipt.queue_position is not None:
                b.line(tr("receipt.queue_position", position=receipt.queue_position), 10, bold=True)
            if receipt.wait_minutes is not None:
                b.line(wait_text(tr, receipt.wait_minutes), 9)

        b.boxed(queue_block, filled=False)

    if receipt.captured_documents or receipt.originals_to_show:
        b.rule(0.5, before=4, after=3)
    if receipt.captured_documents:
        b.line(tr("receipt.captured_heading"), 8.5, bold=True, align="left")
        for doc in receipt.captured_documents:
            b.bulleted(check, doc, 8.5)
        b.gap(3)
    if receipt.originals_to_show:
        b.line(tr("receipt.originals_heading"), 8.5, bold=True, align="left")
        for doc in receipt.originals_to_show:
            b.bulleted(bullet, doc, 8.5)

    if receipt.pending_sync:
        b.gap(5)
        b.boxed(lambda: b.line(tr("receipt.pending_sync"), 8.5, bold=True), filled=False)

    b.rule(0.5, before=5, after=3)
    b.line(tr("receipt.qr_caption"), 8)
    b.gap(1)
    b.qr(receipt.status_url, 30)
    b.line(receipt.status_url, 6.5)

    b.rule(0.5, before=3, after=3)
    b.line(tr("receipt.keep_receipt"), 7.5, bold=True)
    b.line(tr("receipt.free_service"), 7)
    b.gap(2)
    b.line(tr("receipt.privacy"), 6.5)
    b.gap(2)
    b.line(tr("receipt.reference", ticket_id=receipt.ticket_id), 6)

    lay.content_bottom = b.y + spec.bottom
    lay.page_height = spec.fixed_height or lay.content_bottom
    return lay


# ---------------------------------------------------------------- PDF


# reportlab keeps each TTF's subsetting state on the shared font object: one PDF at a time.
_PDF_LOCK = threading.Lock()


def layout_to_pdf(lay: ReceiptLayout, *, title: str = "") -> bytes:
    with _PDF_LOCK:
        return _layout_to_pdf(lay, title)


def _layout_to_pdf(lay: ReceiptLayout, title: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    # invariant: no timestamps or random ids, so the same receipt gives the same bytes.
    c = Canvas(buf, pagesize=(lay.page_width, lay.page_height), invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("IESS - Kiosco CAU")
    c.setCreator("kiosk.printing")
    h = lay.page_height
    for item in lay.items:
        if isinstance(item, TextItem):
            c.setFillGray(1 if item.white else 0)
            c.setFont(lay.fonts.bold if item.bold else lay.fonts.regular, item.size)
            c.drawString(item.x, h - item.baseline, item.text)
        elif isinstance(item, BoxItem):
            c.setFillGray(0)
            c.setStrokeGray(0)
            if item.filled:
                c.rect(item.x, h - item.y - item.h, item.w, item.h, stroke=0, fill=1)
            else:
                c.setLineWidth(item.line_width)
                c.rect(item.x, h - item.y - item.h, item.w, item.h, stroke=1, fill=0)
        else:
            c.setFillGray(0)
            _draw_qr_pdf(c, item, h)
    c.showPage()
    c.save()
    return buf.getvalue()


def _runs(row: Sequence[bool]) -> list[tuple[int, int]]:
    """(start, length) of dark runs in a QR row: one rectangle per run, not per module."""
    runs: list[tuple[int, int]] = []
    start = -1
    for i, dark in enumerate((*row, False)):
        if dark and start < 0:
            start = i
        elif not dark and start >= 0:
            runs.append((start, i - start))
            start = -1
    return runs


def _draw_qr_pdf(c: object, item: QrItem, page_h: float) -> None:
    n = len(item.modules)
    m = item.size / n
    path = c.beginPath()  # type: ignore[attr-defined]
    for r, row in enumerate(item.modules):
        y = page_h - item.y - (r + 1) * m
        for start, length in _runs(row):
            path.rect(item.x + start * m, y, length * m, m)
    c.drawPath(path, stroke=0, fill=1)  # type: ignore[attr-defined]


def render_receipt_pdf(receipt: Receipt, *, paper: Paper = "roll80") -> bytes:
    """The receipt as a one-page PDF: 80 mm roll (page as long as the content) or A4."""
    lay = layout_receipt(receipt, paper=paper)
    return layout_to_pdf(lay, title=receipt.ticket_number)


def warm_up() -> None:
    """Import reportlab, register the fonts and render once (~130 ms), e.g. from a background
    thread at start-up, so the first citizen's receipt renders as fast as the others."""
    from kiosk.printing.samples import sample_receipt

    render_receipt_pdf(sample_receipt())


# ---------------------------------------------------------------- raster


def layout_to_image(lay: ReceiptLayout, *, scale: float, crop_to_content: bool = False):  # type: ignore[no-untyped-def]
    """Draw the layout with PIL: 8-bit greyscale, `scale` pixels per point.

    crop_to_content keeps only the printable column (what an ESC/POS printer's dots cover).
    """
    from PIL import Image, ImageDraw

    x_off = lay.left if crop_to_content else 0.0
    width_pt = lay.content_width if crop_to_content else lay.page_width
    img = Image.new("L", (round(width_pt * scale), round(lay.page_height * scale)), 255)
    draw = ImageDraw.Draw(img)
    for item in lay.items:
        if isinstance(item, TextItem):
            font = pil_font(item.bold, max(1, round(item.size * scale)))
            draw.text(
                ((item.x - x_off) * scale, item.baseline * scale),
                item.text,
                fill=255 if item.white else 0,
                font=font,
                anchor="ls",
            )
        elif isinstance(item, BoxItem):
            box = (
                round((item.x - x_off) * scale),
                round(item.y * scale),
                round((item.x - x_off + item.w) * scale) - 1,
                round((item.y + item.h) * scale) - 1,
            )
            if item.filled:
                draw.rectangle(box, fill=0)
            else:
                draw.rectangle(box, outline=0, width=max(1, round(item.line_width * scale)))
        else:
            n = len(item.modules)
            for r, row in enumerate(item.modules):
                y0 = round(item.y * scale + r * item.size * scale / n)
                y1 = round(item.y * scale + (r + 1) * item.size * scale / n) - 1
                for start, length in _runs(row):
                    x0 = round((item.x - x_off) * scale + start * item.size * scale / n)
                    x1 = round((item.x - x_off) * scale + (start + length) * item.size * scale / n)
                    draw.rectangle((x0, y0, x1 - 1, y1), fill=0)
    return img


def render_receipt_image(receipt: Receipt, *, dots: int = 576):  # type: ignore[no-untyped-def]
    """The printable column of the roll receipt as a greyscale image `dots` pixels wide
    (576 = 72 mm at 203 dpi), for raster printing on a thermal printer."""
    lay = layout_receipt(receipt, paper="roll80")
    return layout_to_image(lay, scale=dots / lay.content_width, crop_to_content=True)


def render_receipt_png(receipt: Receipt, dpi: int = 203, *, paper: Paper = "roll80") -> bytes:
    """The whole page as a PNG at `dpi` (previews, the on-screen ticket, tests)."""
    lay = layout_receipt(receipt, paper=paper)
    img = layout_to_image(lay, scale=dpi / 72.0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


__all__ = [
    "EMBEDDED",
    "PAPERS",
    "BoxItem",
    "Paper",
    "QrItem",
    "ReceiptLayout",
    "TextItem",
    "layout_receipt",
    "layout_to_image",
    "layout_to_pdf",
    "render_receipt_image",
    "render_receipt_pdf",
    "render_receipt_png",
    "warm_up",
    "wrap_text",
]
