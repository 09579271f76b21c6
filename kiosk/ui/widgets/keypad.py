"""On-screen keypads for identity numbers: big keys, delete, optional masking.

The keypad only edits a string; what the string means (cédula, code, last digits) is the flow's
business. The typed value lives in this widget only until `clear()` (called on every wipe).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets.common import label

DIGIT_ROWS = ("123", "456", "789")
ALPHA_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")  # IDs are ASCII


class Keypad(QWidget):
    changed = Signal(str)
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = ""
        self._max_length = 10
        self._mask = False
        self._alpha = False
        self.display = label("", "display", wrap=False, name="keypadDisplay")
        self.display.setMinimumHeight(96)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setSpacing(12)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.delete_button = self._key("⌫", "keyAction", self.backspace)
        self.delete_button.setObjectName("keyDelete")
        self.ok_button = self._key("", "primary", self._submit)
        self.ok_button.setObjectName("keyOk")
        self.ok_button.setProperty("role", "keyOk")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        layout.addWidget(self.display)
        layout.addWidget(self._grid_host, 1)
        self._build()

    # ------------------------------------------------------------------ configuration

    def configure(self, *, alpha: bool, max_length: int, mask: bool = False) -> None:
        changed = alpha != self._alpha
        self._alpha, self._max_length, self._mask = alpha, max_length, mask
        if changed:
            self._build()
        self.clear()

    def set_ok_text(self, text: str) -> None:
        self.ok_button.setText(text)
        self.delete_button.setToolTip("")

    def _key(self, text: str, role: str, slot: object) -> QPushButton:
        key = QPushButton(text)
        key.setProperty("role", role)
        key.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        key.clicked.connect(slot)
        return key

    def _build(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None and widget not in (self.delete_button, self.ok_button):
                widget.hide()
                widget.deleteLater()
        self.keys: dict[str, QPushButton] = {}
        rows = ALPHA_ROWS if self._alpha else DIGIT_ROWS
        width = 20 if self._alpha else 3  # alpha keys span 2 grid columns, for a staggered look
        for r, row in enumerate(rows):
            offset = 1 if len(row) == 9 else 0  # stagger the middle row like a keyboard
            for c, ch in enumerate(row):
                role = "keyAlpha" if self._alpha else "key"  # narrower: 10 keys fit in portrait
                key = self._key(ch, role, lambda _=False, ch=ch: self.press(ch))
                key.setObjectName(f"key_{ch}")
                self.keys[ch] = key
                if self._alpha:
                    self._grid.addWidget(key, r, offset + c * 2, 1, 2)
                else:
                    self._grid.addWidget(key, r, c)
        last = len(rows)
        zero = None if self._alpha else self._key("0", "key", lambda: self.press("0"))
        if zero is not None:
            zero.setObjectName("key_0")
            self.keys["0"] = zero
            self._grid.addWidget(self.delete_button, last, 0)
            self._grid.addWidget(zero, last, 1)
            self._grid.addWidget(self.ok_button, last, 2)
        else:
            self._grid.addWidget(self.delete_button, last - 1, 14, 1, 6)
            self._grid.addWidget(self.ok_button, last, 0, 1, width)
        for key in [*self.keys.values(), self.delete_button, self.ok_button]:
            key.show()  # now, not on the next event-loop turn
        for c in range(self._grid.columnCount()):
            self._grid.setColumnStretch(c, 1)

    # ------------------------------------------------------------------ editing

    @property
    def value(self) -> str:
        return self._value

    def press(self, ch: str) -> None:
        if len(self._value) >= self._max_length:
            return
        self._value += ch
        self._show()

    def backspace(self) -> None:
        self._value = self._value[:-1]
        self._show()

    def clear(self) -> None:
        self._value = ""
        self._show()

    def _submit(self) -> None:
        self.submitted.emit(self._value)

    def _show(self) -> None:
        shown = "•" * len(self._value) if self._mask else self._value
        if not self._alpha and not self._mask and len(self._value) > 4:
            shown = " ".join(self._value[i:i + 3] for i in range(0, len(self._value), 3))
        self.display.setText(shown or "—")
        self.changed.emit(self._value)

