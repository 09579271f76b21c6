"""The thin header (name, clock, offline indicator, language) and the footer (Volver/Cancelar)
shared by every page, plus the "¿Sigue ahí?" overlay."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets.common import button, label


class HeaderBar(QWidget):
    language_clicked = Signal()
    staff_requested = Signal()  # the brand was held down for STAFF_HOLD_S: the hidden staff entry

    STAFF_HOLD_S = 3.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("header")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 0, 0, 0)
        layout.setSpacing(20)
        self.brand = QLabel()
        self.brand.setObjectName("brand")
        self.brand.installEventFilter(self)
        self._pressed_at: float | None = None
        self.agency = QLabel()
        self.agency.setObjectName("agency")
        self.offline = QLabel()
        self.offline.setObjectName("offline")
        self.offline.hide()
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.language = button("", name="languageButton")
        self.language.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.language.clicked.connect(self.language_clicked)
        layout.addWidget(self.brand)
        layout.addWidget(self.agency)
        layout.addStretch(1)
        layout.addWidget(self.offline)
        layout.addWidget(self.clock)
        layout.addWidget(self.language)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A long press rather than a visible button: citizens never stumble into staff mode.
        if watched is self.brand:
            kind = event.type()
            if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
                self._pressed_at = time.monotonic()
            elif kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.TouchEnd):
                held = time.monotonic() - self._pressed_at if self._pressed_at else 0.0
                self._pressed_at = None
                if held >= self.STAFF_HOLD_S:
                    self.staff_requested.emit()
        return super().eventFilter(watched, event)


class FooterBar(QWidget):
    back_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("footer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.setSpacing(32)
        self.back = button("", "back", name="backButton")
        self.cancel = button("", "cancel", name="cancelButton")
        self.back.clicked.connect(self.back_clicked)
        self.cancel.clicked.connect(self.cancel_clicked)
        for b in (self.back, self.cancel):  # same size and place on every page
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            b.setMinimumWidth(420)
        layout.addWidget(self.back)
        layout.addStretch(1)
        layout.addWidget(self.cancel)

    def configure(self, back: bool, cancel: bool) -> None:
        self.back.setVisible(back)
        self.cancel.setVisible(cancel)
        self.setVisible(back or cancel)


class IdleOverlay(QWidget):
    """Covers the page: "¿Sigue ahí?", a countdown and one big "Sí, continuar"."""

    stay_clicked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("idleOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        box = QWidget()
        box.setObjectName("idleBox")
        box.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        box.setMaximumWidth(900)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(48, 48, 48, 48)
        inner.setSpacing(28)
        self.title = label("", "title", name="idleTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown = label("", "subtitle", name="idleCountdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stay = button("", "primary", name="idleStay")
        self.stay.clicked.connect(self.stay_clicked)
        inner.addWidget(self.title)
        inner.addWidget(self.countdown)
        inner.addWidget(self.stay)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
