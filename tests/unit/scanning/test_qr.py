from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.scanning import decode_qr, render
from kiosk.scanning.corpus import make_sample

TOKEN = "IESS|CAU-QUITO|2026-11-25|T-0042|sig=Zm9vYmFy"


def _scene(
    doc: np.ndarray, height: float = 0.7, angle: float = 0.0, bg: str = "wood"
) -> np.ndarray:
    rng = np.random.default_rng(3)
    back = render.background(bg, 720, 1280, rng)
    s = 720 * height / doc.shape[0]
    dw, dh = doc.shape[1] * s, doc.shape[0] * s
    c = np.array([640.0, 360.0])
    q = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
    a = np.radians(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return render.place(back, doc, q @ rot.T + c)


def test_phone_and_paper() -> None:
    assert decode_qr(_scene(render.phone_with_qr(TOKEN))) == [TOKEN]
    assert decode_qr(_scene(render.confirmation_sheet(TOKEN), 0.9)) == [TOKEN]


def test_dark_mode_rotated_and_small() -> None:
    assert decode_qr(_scene(render.phone_with_qr(TOKEN, dark_mode=True))) == [TOKEN]
    assert decode_qr(_scene(render.phone_with_qr(TOKEN), angle=35)) == [TOKEN]
    assert decode_qr(_scene(render.phone_with_qr(TOKEN), height=0.33)) == [TOKEN]


def test_glare_and_moire_screen() -> None:
    frame = _scene(render.phone_with_qr(TOKEN)).astype(np.float32)
    yy, xx = np.mgrid[0:720, 0:1280].astype(np.float32)
    frame += (np.sin(xx / 1.7) * np.sin(yy / 1.9) * 18)[:, :, None]  # screen-door moiré
    frame += (90 * np.exp(-((xx - 600) ** 2 + (yy - 300) ** 2) / 9000.0))[:, :, None]  # glare
    assert decode_qr(np.clip(frame, 0, 255).astype(np.uint8)) == [TOKEN]


def test_grey_and_16bit_input() -> None:
    grey = cv2.cvtColor(_scene(render.phone_with_qr(TOKEN)), cv2.COLOR_BGR2GRAY)
    assert decode_qr(grey) == [TOKEN]
    assert decode_qr(grey.astype(np.uint16) * 256) == [TOKEN]


@pytest.mark.parametrize("index", range(4))
def test_no_code_gives_empty_list(index: int) -> None:
    assert decode_qr(make_sample(index, 5).frame) == []


def test_damaged_code_is_not_guessed() -> None:
    frame = _scene(render.phone_with_qr(TOKEN))
    # Wipe out half the symbol: beyond error correction, so nothing (never wrong text) comes back.
    frame[:, 640:] = 255
    assert decode_qr(frame) in ([], [TOKEN])
    assert all(t == TOKEN for t in decode_qr(frame))
