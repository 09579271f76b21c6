"""QR codes drawn from the `qrcode` matrix straight onto a QPixmap (crisp at any size)."""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap


def qr_matrix(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def qr_pixmap(text: str, size_px: int) -> QPixmap:
    """A square pixmap of about size_px with whole-pixel modules (phones read it reliably)."""
    matrix = qr_matrix(text)
    n = len(matrix)
    module = max(1, size_px // n)
    side = module * n
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.drawRect(QRect(x * module, y * module, module, module))
    painter.end()
    return pixmap
