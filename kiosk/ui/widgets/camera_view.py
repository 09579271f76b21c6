"""Live camera preview: the frame scaled to fit, the guide frame, the detected outline, one big
instruction, the hold-still ring and a capture flash. Pure painting: no analysis happens here.

Not mirrored on purpose: documents must read the right way round, as they will be stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

OK_COLOUR = QColor("#1fa64a")
PROBLEM_COLOUR = QColor("#f0a500")
GUIDE_COLOUR = QColor(255, 255, 255, 170)
BANNER_BG = QColor(0, 0, 0, 170)


class Tone(StrEnum):
    INFO = "info"
    OK = "ok"
    PROBLEM = "problem"


class CameraView(QWidget):
    """Paints the latest preview frame and overlays; fed by CameraFeed.frame_ready.

    `display_resized(w, h)` tells the feed the size to deliver frames at (see set_display_size).
    """

    display_resized = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("camera_view")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._source_size: tuple[int, int] | None = None
        self._outline: tuple[tuple[float, float], ...] | None = None
        self._outline_ok = False
        self._guide_aspect: float | None = None  # long side / short side of the expected document
        self._instruction = ""
        self._tone = Tone.INFO
        self._message = ""  # full-view message (camera not found), replaces the preview
        self._progress = 0.0
        self._flash = 0.0  # 0-1 white overlay strength
        self.frames_painted = 0

    # ------------------------------------------------------------------ state setters

    def set_frame(self, image: QImage, assessment: object | None = None) -> None:
        self._image = image
        if assessment is not None and getattr(assessment, "document", None) is not None:
            self.set_outline(assessment.document, bool(getattr(assessment, "ok", False)),  # type: ignore[attr-defined]
                             getattr(assessment, "frame_size", None))
        elif assessment is not None:
            self._outline = None
        self.update()

    def set_outline(self, corners: Sequence[tuple[float, float]] | None, ok: bool,
                    source_size: tuple[int, int] | None = None) -> None:
        self._outline = tuple(corners) if corners is not None else None
        self._outline_ok = ok
        if source_size and source_size[0] > 0:
            self._source_size = (int(source_size[0]), int(source_size[1]))
        self.update()

    def set_guide(self, aspect: float | None) -> None:
        """Show a guide frame of this long/short aspect ratio (None: no guide)."""
        self._guide_aspect = aspect
        self.update()

    def set_instruction(self, text: str, tone: Tone = Tone.INFO) -> None:
        if (text, tone) != (self._instruction, self._tone):
            self._instruction, self._tone = text, tone
            self.update()

    @property
    def instruction(self) -> str:
        return self._instruction

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    @property
    def message(self) -> str:
        return self._message

    def set_progress(self, value: float) -> None:
        value = max(0.0, min(1.0, value))
        if abs(value - self._progress) > 0.005:
            self._progress = value
            self.update()

    @property
    def progress(self) -> float:
        return self._progress

    def set_flash(self, strength: float) -> None:
        self._flash = max(0.0, min(1.0, strength))
        self.update()

    def clear(self) -> None:
        """Forget the frame and overlays (a citizen's document must not stay on screen)."""
        self._image = None
        self._outline = None
        self._progress = 0.0
        self._flash = 0.0
        self._instruction = ""
        self._message = ""
        self.update()

    def has_frame(self) -> bool:
        return self._image is not None

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.display_resized.emit(self.width(), self.height())

    # ------------------------------------------------------------------ painting

    def _image_rect(self) -> QRectF:
        if self._image is None or self._image.isNull():
            return QRectF(self.rect())
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        try:
            # No antialiasing for the straight 5-6 px lines: it costs the UI thread ~2 ms each
            # frame for no visible gain at that width. The ring and the text keep it.
            p.fillRect(self.rect(), QColor("#111417"))
            target = self._image_rect()
            if self._message:
                self._paint_centered(p, self._message, QColor("white"))
                return
            if self._image is not None and not self._image.isNull():
                if abs(target.width() - self._image.width()) < 1.5:
                    p.drawImage(target.topLeft(), self._image)  # already display-sized: blit
                else:
                    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                    p.drawImage(target, self._image)
                self.frames_painted += 1
            if self._guide_aspect:
                self._paint_guide(p, target)
            if self._outline is not None:
                self._paint_outline(p, target)
            if self._progress > 0:
                self._paint_ring(p, target)
            if self._flash > 0:
                p.fillRect(target, QColor(255, 255, 255, int(220 * self._flash)))
            if self._instruction:
                self._paint_banner(p)
        finally:
            p.end()

    def _paint_guide(self, p: QPainter, target: QRectF) -> None:
        aspect = self._guide_aspect or 1.0
        if self._instruction:  # keep the guide clear of the instruction banner
            banner_top = self.height() - self._banner_font().pixelSize() * 2.2
            target = QRectF(target.x(), target.y(), target.width(),
                            max(10.0, min(target.height(), banner_top - target.y())))
        # Landscape guide for cards and passports, portrait for letters (aspect < 1 means portrait).
        w = target.width() * 0.72
        h = w / aspect
        if h > target.height() * 0.82:
            h = target.height() * 0.82
            w = h * aspect
        rect = QRectF(target.center().x() - w / 2, target.center().y() - h / 2, w, h)
        # Corner brackets (cheaper to paint than a dashed frame, and read as "put it here").
        arm = min(w, h) * 0.16
        p.setPen(QPen(GUIDE_COLOUR, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.setBrush(Qt.BrushStyle.NoBrush)
        for corner, dx, dy in ((rect.topLeft(), 1, 1), (rect.topRight(), -1, 1),
                               (rect.bottomRight(), -1, -1), (rect.bottomLeft(), 1, -1)):
            p.drawLine(corner, QPointF(corner.x() + dx * arm, corner.y()))
            p.drawLine(corner, QPointF(corner.x(), corner.y() + dy * arm))

    def _paint_outline(self, p: QPainter, target: QRectF) -> None:
        assert self._outline is not None
        sw, sh = self._source_size or (
            (self._image.width(), self._image.height()) if self._image is not None else (1, 1))
        sx, sy = target.width() / max(sw, 1), target.height() / max(sh, 1)
        poly = QPolygonF([QPointF(target.x() + x * sx, target.y() + y * sy)
                          for x, y in self._outline])
        colour = OK_COLOUR if self._outline_ok else PROBLEM_COLOUR
        # Stroke only: a translucent fill over the document costs the UI thread ~5 ms a frame.
        p.setPen(QPen(colour, 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.setBrush(Qt.BrushStyle.NoBrush)
        # A document pushed out of view has corners beyond the picture: keep them off the margin.
        p.save()
        p.setClipRect(target)
        p.drawPolygon(poly)
        p.restore()

    def _paint_ring(self, p: QPainter, target: QRectF) -> None:
        r = min(target.width(), target.height()) * 0.09
        centre = QPointF(target.right() - r - 24, target.top() + r + 24)
        rect = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(0, 0, 0, 120), 12))
        p.setBrush(QColor(0, 0, 0, 90))
        p.drawEllipse(rect)
        p.setPen(QPen(OK_COLOUR, 12, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        path = QPainterPath()
        path.arcMoveTo(rect, 90)
        path.arcTo(rect, 90, -360 * self._progress)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def _banner_font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(22, min(44, self.height() // 14)))
        font.setBold(True)
        return font

    def _paint_banner(self, p: QPainter) -> None:
        font = self._banner_font()
        p.setFont(font)
        h = font.pixelSize() * 2.2
        rect = QRectF(0, self.height() - h, self.width(), h)
        bg = {Tone.OK: QColor(20, 110, 50, 215), Tone.PROBLEM: QColor(120, 70, 0, 215)}.get(
            self._tone, BANNER_BG)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(bg)
        p.drawRect(rect)
        p.setPen(QColor("white"))
        p.drawText(rect.adjusted(16, 0, -16, 0), Qt.AlignmentFlag.AlignCenter, self._instruction)

    def _paint_centered(self, p: QPainter, text: str, colour: QColor) -> None:
        font = self._banner_font()
        p.setFont(font)
        p.setPen(colour)
        p.drawText(QRectF(self.rect()).adjusted(40, 40, -40, -40),
                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
