from __future__ import annotations

import numpy as np
import pytest

from kiosk.scanning import FrameError, assess_frame, decode_qr, validate_frame


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "frame",
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((10, 10, 3), np.uint8),
        np.zeros((100, 100, 5), np.uint8),
        np.zeros((4, 100, 100, 3), np.uint8),
        np.full((100, 100, 3), np.nan, np.float32),
        np.zeros((100, 100, 3), np.complex64),
    ],
)
def test_unusable_frames_raise_frame_error(bad: object) -> None:
    with pytest.raises(FrameError):
        validate_frame(bad)
    with pytest.raises(ValueError):  # FrameError is a ValueError: callers may catch either
        assess_frame(bad)  # type: ignore[arg-type]
    with pytest.raises(FrameError):
        decode_qr(bad)  # type: ignore[arg-type]


def test_grey_16bit_bgra_float_and_non_contiguous_are_converted() -> None:
    grey = np.full((60, 80), 200, np.uint8)
    out = validate_frame(grey)
    assert out.shape == (60, 80, 3) and out.dtype == np.uint8 and (out == 200).all()
    deep = np.full((60, 80, 3), 200 * 256, np.uint16)
    assert (validate_frame(deep) == 200).all()
    bgra = np.zeros((60, 80, 4), np.uint8)
    assert validate_frame(bgra).shape == (60, 80, 3)
    unit = np.full((60, 80, 3), 0.5, np.float32)
    assert validate_frame(unit)[0, 0, 0] == 127
    strided = np.zeros((120, 160, 3), np.uint8)[::2, ::2]
    assert not strided.flags.c_contiguous
    assert validate_frame(strided).flags.c_contiguous


def test_grey_frame_is_assessed_not_rejected() -> None:
    grey = np.full((720, 1280), 90, np.uint8)
    a = assess_frame(grey)
    assert a.problems[0].value == "no_document"
