"""Small building blocks every screen uses, so roles (and thus the theme) stay consistent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QScrollerProperties,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


def label(text: str = "", role: str = "body", *, wrap: bool = True, name: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    widget.setTextFormat(Qt.TextFormat.PlainText)  # catalog text is data, never markup
    if name:
        widget.setObjectName(name)
    return widget


def button(text: str = "", role: str = "", *, name: str = "") -> QPushButton:
    widget = QPushButton(text)
    if role:
        widget.setProperty("role", role)
    if name:
        widget.setObjectName(name)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a touch screen: no focus rectangles
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return widget


def panel(role: str = "panel") -> QFrame:
    frame = QFrame()
    frame.setProperty("role", role)
    return frame


class CardButton(QPushButton):
    """A big tappable card: a bold title and a one-line description, both wrapping."""

    def __init__(self, title: str = "", text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.box = layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 18, 18, 18)
        layout.setSpacing(6)
        self.title_label = label(title, "cardTitle")
        self.text_label = label(text, "cardText")
        layout.addStretch(1)
        for child in (self.title_label, self.text_label):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(child)
        layout.addStretch(1)

    def set_texts(self, title: str, text: str) -> None:
        self.title_label.setText(title)
        self.text_label.setText(text)
        self.text_label.setVisible(bool(text))


def kinetic_scroll(content: QWidget) -> QScrollArea:
    """A scroll area that follows the finger (QScroller) instead of needing a scrollbar."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    scroller = QScroller.scroller(area.viewport())
    props = scroller.scrollerProperties()
    # A tap must reach the card at once (no press delay); only a real drag scrolls.
    props.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0.0)
    props.setScrollMetric(QScrollerProperties.ScrollMetric.OvershootDragResistanceFactor, 0.3)
    scroller.setScrollerProperties(props)
    return area


def clear_layout(layout: QBoxLayout) -> None:
    """Remove and delete every item (rebuilding a list for a new visit)."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        elif isinstance(item.layout(), QBoxLayout):
            clear_layout(item.layout())  # type: ignore[arg-type]


def flip(layout: QBoxLayout, portrait: bool) -> None:
    """Turn a screen's main layout from a row (landscape) into a column (portrait)."""
    layout.setDirection(
        QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
    )
