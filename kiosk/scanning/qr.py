"""QR reading with zxing-cpp, tuned for the turn confirmation on paper or on a phone screen.

zxing checks the Reed-Solomon error correction of every symbol, so whatever it returns is what
was encoded: we never guess, we only try more views of the frame when the cheap ones fail.
Order of attempts (stop at the first that decodes):
1. grey frame downscaled to ≤ 640 px wide — the common case (a code that fills part of the view)
   and a low-pass filter against screen moiré;
2. only if the frame holds strong local contrast at all (a cheap check on a thumbnail): full
   resolution (small codes), the inverted half-size frame (dark-mode screens), and a
   contrast-stretched half-size frame (glare washing out the code).
A blank or featureless frame costs one small zxing pass; a busy frame without a code costs about
two plain zxing calls.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import zxingcpp

from kiosk.scanning.types import validate_frame

_FORMATS = zxingcpp.BarcodeFormat.QRCode
_FAST_WIDTH = 640


def _read(gray: np.ndarray, downscale: bool = False) -> list[str]:
    results = zxingcpp.read_barcodes(
        gray, formats=_FORMATS, try_rotate=True, try_downscale=downscale
    )
    return [r.text for r in results if r.valid and r.format == _FORMATS]


def _qr_like(gray: np.ndarray) -> bool:
    """Cheap pre-check: a QR code shows up as many strong local contrasts in a small image."""
    small = cv2.resize(
        gray, (160, round(160 * gray.shape[0] / gray.shape[1])), interpolation=cv2.INTER_AREA
    )
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return bool((grad > 60).mean() > 0.004)


def _dedupe(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def decode_qr(frame_bgr: np.ndarray) -> list[str]:
    """Return the text of every QR code in the frame (empty list when there is none).

    Accepts the same frames as assess_frame (BGR or grey, 8 or 16 bit). Raises FrameError on
    unusable input. Never returns text that failed zxing's error-correction check.
    """
    frame = validate_frame(frame_bgr)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    if w > _FAST_WIDTH:
        f = _FAST_WIDTH / w
        fast = cv2.resize(gray, (_FAST_WIDTH, round(h * f)), interpolation=cv2.INTER_AREA)
    else:
        fast = gray
    found = _read(fast)
    if found:
        return _dedupe(found)
    if not _qr_like(gray):
        return []
    # Full resolution first (small codes are the common failure), then the cheap half-size views:
    # inverted (dark-mode screens) and contrast-stretched (glare washing the code out).
    views: list[Callable[[], np.ndarray]] = [
        lambda: 255 - fast,
        lambda: cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(fast),
    ]
    if w > _FAST_WIDTH:
        views.insert(0, lambda: gray)
    for view in views:
        found = _read(view())
        if found:
            return _dedupe(found)
    return []
