"""CameraView paints what the citizen needs: the frame the right way round, a green or amber
outline, the instruction banner, and a message instead of the preview when there is no camera."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import numpy as np
from PySide6.QtGui import QColor, QImage

from kiosk.scanning import FrameAssessment, Problem
from kiosk.ui.widgets.camera_view import OK_COLOUR, PROBLEM_COLOUR, CameraView, Tone

W, H = 640, 360
QUAD = ((160.0, 90.0), (480.0, 90.0), (480.0, 270.0), (160.0, 270.0))


def _frame_image() -> QImage:
    # Left half dark grey, right half light grey: shows whether the preview is mirrored.
    bgra = np.zeros((H, W, 4), np.uint8)
    bgra[:, : W // 2] = (40, 40, 40, 255)
    bgra[:, W // 2 :] = (200, 200, 200, 255)
    return QImage(bgra.data, W, H, bgra.strides[0], QImage.Format.Format_RGB32).copy()


def _render(view: CameraView) -> QImage:
    out = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    view.render(out)
    return out


def _close(a: QColor, b: QColor, tol: int = 40) -> bool:
    return (abs(a.red() - b.red()) <= tol and abs(a.green() - b.green()) <= tol
            and abs(a.blue() - b.blue()) <= tol)


def _view(qtbot: Any) -> CameraView:
    view = CameraView()
    qtbot.addWidget(view)
    view.resize(W, H)
    return view


def test_frame_is_not_mirrored(qtbot: Any) -> None:
    view = _view(qtbot)
    view.set_frame(_frame_image(), None)
    out = _render(view)
    assert out.pixelColor(50, 100).red() < 80  # dark stays on the left
    assert out.pixelColor(W - 50, 100).red() > 160


def test_outline_is_green_when_good_and_amber_with_a_problem(qtbot: Any) -> None:
    view = _view(qtbot)
    good = FrameAssessment(QUAD, (), frame_size=(W, H))
    view.set_frame(_frame_image(), good)
    assert _close(_render(view).pixelColor(320, 90), OK_COLOUR)
    tilted = FrameAssessment(QUAD, (Problem.TILTED,), frame_size=(W, H))
    view.set_frame(_frame_image(), tilted)
    assert _close(_render(view).pixelColor(320, 90), PROBLEM_COLOUR)
    gone = FrameAssessment(None, (Problem.NO_DOCUMENT,), frame_size=(W, H))
    view.set_frame(_frame_image(), gone)
    assert not _close(_render(view).pixelColor(320, 90), PROBLEM_COLOUR)


def test_outline_follows_the_source_frame_size(qtbot: Any) -> None:
    # The preview is a scaled-down copy; corners are in full-resolution frame pixels.
    view = _view(qtbot)
    big = FrameAssessment(tuple((x * 2, y * 2) for x, y in QUAD), (), frame_size=(W * 2, H * 2))
    view.set_frame(_frame_image(), big)  # type: ignore[arg-type]
    assert _close(_render(view).pixelColor(320, 90), OK_COLOUR)


def test_an_outline_reaching_past_the_picture_stays_off_the_margin(qtbot: Any) -> None:
    # A document pushed out of view has corners beyond the frame; in a taller view the picture
    # is letterboxed, and the outline must not be drawn on the dark margin above it.
    view = _view(qtbot)
    view.resize(W, H + 200)  # picture at y 100..460
    cut = FrameAssessment(
        ((160.0, -80.0), (480.0, -80.0), (480.0, 270.0), (160.0, 270.0)),
        (Problem.CUT_OFF,),
        frame_size=(W, H),
    )
    view.set_frame(_frame_image(), cut)
    out = _render(view)
    assert _close(out.pixelColor(160, 200), PROBLEM_COLOUR)  # the side inside the picture
    assert not _close(out.pixelColor(160, 60), PROBLEM_COLOUR)  # not on the margin above it


def test_banner_message_and_clear(qtbot: Any) -> None:
    view = _view(qtbot)
    view.set_frame(_frame_image(), None)
    view.set_instruction("Acerque el documento", Tone.PROBLEM)
    assert view.instruction == "Acerque el documento"
    bottom = _render(view).pixelColor(10, H - 5)
    assert bottom.red() > bottom.blue()  # the amber-brown problem banner
    view.set_message("La cámara no está disponible")
    assert _render(view).pixelColor(W - 50, 100).red() < 60  # no preview behind the message
    view.set_progress(0.5)
    view.clear()
    assert not view.has_frame() and view.message == "" and view.progress == 0.0
    assert _render(view).pixelColor(W - 50, 100).red() < 60  # nothing personal left
