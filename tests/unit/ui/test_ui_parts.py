"""Unit tests of the kiosk's own UI parts: theme metrics and QSS, QR pixmaps, the keypad, the
wrapped timers, the error summary and the step → page map."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
import sys
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage

from kiosk.domain.visit import IdentifyMode, Step
from kiosk.ui import theme
from kiosk.ui.errors import describe
from kiosk.ui.idle import KioskTimer, active_timers
from kiosk.ui.qr import qr_pixmap
from kiosk.ui.widgets.keypad import Keypad
from kiosk.ui.window import screen_name_for


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 800), (3840, 2160)])
def test_metrics_keep_text_readable_and_targets_big(size: tuple[int, int]) -> None:
    m = theme.Metrics(*size)
    assert m.body >= 24 and m.title >= 40
    assert m.touch >= theme.TOUCH_MIN_PX
    assert m.portrait is (size[1] > size[0])
    big = theme.Metrics(*size, large_text=True)
    assert big.body > m.body and big.title > m.title


@pytest.mark.parametrize("high_contrast", [False, True])
def test_stylesheet_has_every_placeholder_filled(high_contrast: bool) -> None:
    qss = theme.stylesheet(theme.Metrics(1920, 1080), high_contrast=high_contrast)
    assert not re.findall(r"@\w+@", qss)
    assert ("#FFD400" in qss) is high_contrast


def _to_bgr(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    rgb = data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def test_qr_pixmap_is_a_readable_code(qapp: Any) -> None:
    url = "https://app.iess.gob.ec/iess-gestion-turnero-enlinea-web/pages/genTurnoOnline.jsf"
    pixmap = qr_pixmap(url, 400)
    assert 300 <= pixmap.width() <= 400 and pixmap.width() == pixmap.height()
    from kiosk.scanning.qr import decode_qr

    frame = np.full((600, 600, 3), 255, np.uint8)
    code = _to_bgr(pixmap.toImage())
    frame[100:100 + code.shape[0], 100:100 + code.shape[1]] = code
    assert decode_qr(frame) == [url]


def test_keypad_editing(qtbot: Any) -> None:
    pad = Keypad()
    qtbot.addWidget(pad)
    pad.configure(alpha=False, max_length=4, mask=True)
    for ch in "12345":
        pad.press(ch)
    assert pad.value == "1234"  # max length
    assert pad.display.text() == "••••"  # masked
    pad.backspace()
    assert pad.value == "123"
    with qtbot.waitSignal(pad.submitted) as sig:
        pad.ok_button.click()
    assert sig.args == ["123"]
    pad.configure(alpha=True, max_length=15)
    assert pad.value == "" and "Q" in pad.keys
    pad.keys["Q"].click()
    pad.keys["7"].click()
    assert pad.value == "Q7"
    pad.clear()
    assert pad.display.text() == "—"


def test_kiosk_timers_are_tracked(qtbot: Any) -> None:
    timer = KioskTimer(1000, name="t")
    fired: list[bool] = []
    timer.timeout.connect(lambda: fired.append(True))
    timer.start()
    assert timer in active_timers()
    timer.fire()
    assert fired == [True]
    timer.stop()
    assert timer not in active_timers()


def test_error_summary_has_no_message() -> None:
    try:
        raise ValueError("cédula 1710034065")
    except ValueError:
        exc_type, _, tb = sys.exc_info()
    assert exc_type is not None
    text = describe(exc_type, tb)
    assert "ValueError" in text and "test_ui_parts.py" in text
    assert "1710034065" not in text


class _Flow:
    def __init__(self, step: Step, mode: IdentifyMode | None = None) -> None:
        self.step, self.mode = step, mode


@pytest.mark.parametrize(("step", "mode", "page"), [
    (Step.IDLE, None, "home"),
    (Step.DONE, None, "home"),
    (Step.CHOOSE, None, "choose"),
    (Step.INFO, None, "info"),
    (Step.IDENTIFY, IdentifyMode.QR, "scan_turn"),
    (Step.IDENTIFY, IdentifyMode.CONFIRM, "identify"),
    (Step.IDENTIFY, IdentifyMode.KEYPAD, "identify"),
    (Step.QUESTIONS, None, "questions"),
    (Step.CHECKLIST, None, "checklist"),
    (Step.CAPTURE, None, "capture"),
    (Step.REVIEW, None, "review"),
    (Step.RECEIPT, None, "receipt"),
])
def test_every_step_has_a_page(step: Step, mode: IdentifyMode | None, page: str) -> None:
    assert screen_name_for(_Flow(step, mode)) == page  # type: ignore[arg-type]
