"""The out-of-order window used when the kiosk cannot even be wired (broken catalog, unusable
data directory): no services exist, so it depends on nothing but Qt and the translator."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.i18n import Translator


class OutOfOrderWindow(QWidget):
    def __init__(self, translator: Translator, *, reason: str = "") -> None:
        super().__init__()
        self.reason = reason  # for technicians and tests; never shown to citizens
        self.setObjectName("out_of_order_window")
        self.setStyleSheet("background:#003B71; color:white;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(80, 80, 80, 80)
        layout.addStretch(1)
        for key, size, weight in (("fallback.title", 56, 700), ("fallback.body", 32, 400)):
            label = QLabel(translator.t(key))
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(f"font-size:{size}px; font-weight:{weight};")
            layout.addWidget(label)
        layout.addStretch(1)
