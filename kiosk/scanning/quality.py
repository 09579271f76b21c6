"""Frame assessment: the document outline plus every check the procedure sheets demand.

"No se aceptarán imágenes borrosas, opacas, cortadas o ilegibles": each of those has a problem code
here, measured on the document itself (not the whole frame), so a dark desk does not make a
well-lit page "too dark" and a busy background does not make a blurred page look sharp.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from kiosk.scanning.detect import _percentile, _small, detect_document
from kiosk.scanning.geometry import area, as_quad, perimeter, tilt
from kiosk.scanning.types import (
    PROBLEM_ORDER,
    FrameAssessment,
    Problem,
    QualityThresholds,
    validate_frame,
)

_DEFAULT = QualityThresholds()


def _ordered(problems: set[Problem]) -> tuple[Problem, ...]:
    return tuple(p for p in PROBLEM_ORDER if p in problems)


def _motion(
    previous: FrameAssessment | None, corners: np.ndarray, frame_size: tuple[int, int]
) -> float:
    if previous is None or previous.document is None or previous.frame_size != frame_size:
        return 0.0
    prev = np.asarray(previous.document, dtype=np.float64)
    return float(np.linalg.norm(prev - corners, axis=1).max() / max(perimeter(corners), 1.0))


def assess_frame(
    frame_bgr: np.ndarray,
    *,
    thresholds: QualityThresholds | None = None,
    previous: FrameAssessment | None = None,
) -> FrameAssessment:
    """Find the document in a camera frame and list what the citizen must fix before capture.

    ``frame_bgr``: H×W×3 uint8 BGR (grey, BGRA and 16-bit frames are converted; unusable input
    raises FrameError, a ValueError). ``previous``: the assessment of the previous frame, used to
    report NOT_STEADY when the outline moved. Returns a FrameAssessment whose ``problems`` are
    ordered most important first and whose ``ok`` is True when the frame can be captured.
    """
    thr = thresholds or _DEFAULT
    frame = validate_frame(frame_bgr)
    h, w = frame.shape[:2]
    frame_size = (w, h)
    small, scale = _small(frame)
    det = detect_document(frame, small)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    if det is None:
        problems = {Problem.NO_DOCUMENT}
        mean = float(gray.mean())
        clipped = float((gray >= thr.glare_level).mean())
        if mean < thr.min_frame_brightness:
            problems.add(Problem.TOO_DARK)
        if clipped > thr.max_washed_fraction:
            problems.add(Problem.GLARE)
        return FrameAssessment(
            None, _ordered(problems), brightness=mean, glare_fraction=clipped, frame_size=frame_size
        )

    corners = det.corners
    problems = set()
    fill = area(corners) / float(w * h)
    margin = thr.edge_margin * min(w, h)
    outside = (
        (corners[:, 0] < margin)
        | (corners[:, 0] > w - 1 - margin)
        | (corners[:, 1] < margin)
        | (corners[:, 1] > h - 1 - margin)
    ).any()
    if fill < thr.min_fill:
        problems.add(Problem.TOO_FAR)
    # A corner in blown-out white is neither seen nor covered, and next to it the edges fade
    # out: GLARE is the problem to report (and to fix first) before corners can be judged.
    washed = bool(det.corner_blown.any())
    support = 1.0 if washed else float(det.corner_support.min())
    contrast = 1.0 if washed else float(det.corner_contrast.min())
    if (
        det.touches_border
        or outside
        or (fill >= thr.min_fill and support < 0.5)
        or (fill >= thr.min_fill and contrast < thr.min_corner_contrast)
    ):
        problems.add(Problem.CUT_OFF)
    dev, ratio = tilt(corners)
    if dev > thr.max_corner_angle_dev or ratio < thr.min_side_ratio:
        problems.add(Problem.TILTED)

    # Lighting is measured inside the outline, shrunk a little to stay off the border and shadow.
    centre = corners.mean(axis=0)
    inner = (centre + (corners - centre) * 0.92) * scale
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(inner).astype(np.int32), 1)
    values = gray[mask.astype(bool)]
    if values.size < 16:
        values = gray.ravel()
    white = _percentile(values, 90.0)
    glare = float((values >= thr.glare_level).mean())
    if white < thr.min_white_level:
        problems.add(Problem.TOO_DARK)
    if glare > thr.max_glare_fraction:
        problems.add(Problem.GLARE)
    if (
        Problem.TOO_FAR in problems
        and float((gray >= thr.glare_level).mean()) > thr.max_washed_fraction
    ):
        # Too small an outline in a washed-out frame: it may be all that is left of the document
        # (its photo or print) with the page lost in the white, so nothing measured on it (size,
        # tilt, corners) can be trusted. As with no outline at all, ask for less light; the
        # framing is judged again once the light is right.
        problems = {Problem.GLARE}

    sigma = det.blur_sigma
    if math.isfinite(sigma) and sigma > thr.max_blur_sigma:
        problems.add(Problem.BLURRED)
    motion = _motion(previous, corners, frame_size)
    if motion > thr.max_motion:
        problems.add(Problem.NOT_STEADY)
    sharp = 1.0 / sigma if math.isfinite(sigma) and sigma > 0 else 0.0
    return FrameAssessment(
        document=as_quad(corners),
        problems=_ordered(problems),
        sharpness=sharp,
        blur_sigma=sigma if math.isfinite(sigma) else 0.0,
        brightness=white,
        glare_fraction=glare,
        fill_fraction=fill,
        motion=motion,
        confidence=det.score,
        frame_size=frame_size,
        extras={
            "corner_angle_dev": dev,
            "side_ratio": ratio,
            "corner_support": float(det.corner_support.min()),
            "corner_contrast": float(det.corner_contrast.min()),
        },
    )


def instruction_key(
    assessment: FrameAssessment, *, steady: bool = False, captured: bool = False
) -> str:
    """The i18n key of the one instruction to show now, e.g. "capture.too_far".

    The top problem wins; with no problem the citizen is told to hold still until the stability
    tracker reports ``steady`` (then "capture.capturing"), and "capture.captured" afterwards.
    """
    if captured:
        return "capture.captured"
    top = assessment.top_problem
    if top is not None:
        return f"capture.{top.value}"
    return "capture.capturing" if steady else "capture.hold_still"
