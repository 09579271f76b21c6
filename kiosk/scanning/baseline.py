"""The plain-OpenCV scanner every tutorial shows, used as the yardstick in evaluate and bench.

Outline: grey → Gaussian blur → Canny(75, 200) → contours → the largest one that approxPolyDP
reduces to 4 points. Blur: variance of the Laplacian below 100. Dark / bright: mean grey of the
frame below 60 / above 200. Framing checks use the same rules as the engine so only the measurements
differ.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.scanning.geometry import area, order_corners, tilt
from kiosk.scanning.types import Problem, QualityThresholds

LAPLACIAN_MIN = 100.0
DARK_MEAN = 60.0
BRIGHT_MEAN = 200.0
WORK_WIDTH = 500


def baseline_outline(frame: np.ndarray) -> np.ndarray | None:
    h, w = frame.shape[:2]
    scale = WORK_WIDTH / w
    small = cv2.resize(frame, (WORK_WIDTH, round(h * scale)))
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    edges = cv2.Canny(gray, 75, 200)
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        approx = cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)
        if len(approx) == 4 and cv2.contourArea(approx) > 0.01 * small.shape[0] * small.shape[1]:
            return order_corners(approx.reshape(4, 2).astype(np.float64) / scale)
    return None


def baseline_assess(
    frame: np.ndarray, thr: QualityThresholds | None = None
) -> tuple[np.ndarray | None, set[Problem]]:
    thr = thr or QualityThresholds()
    h, w = frame.shape[:2]
    quad = baseline_outline(frame)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    problems: set[Problem] = set()
    if quad is None:
        problems.add(Problem.NO_DOCUMENT)
    else:
        fill = area(quad) / (w * h)
        m = thr.edge_margin * min(w, h)
        if (
            (quad[:, 0] < m)
            | (quad[:, 0] > w - 1 - m)
            | (quad[:, 1] < m)
            | (quad[:, 1] > h - 1 - m)
        ).any():
            problems.add(Problem.CUT_OFF)
        if fill < thr.min_fill:
            problems.add(Problem.TOO_FAR)
        dev, ratio = tilt(quad)
        if dev > thr.max_corner_angle_dev or ratio < thr.min_side_ratio:
            problems.add(Problem.TILTED)
    if cv2.Laplacian(gray, cv2.CV_64F).var() < LAPLACIAN_MIN:
        problems.add(Problem.BLURRED)
    mean = float(gray.mean())
    if mean < DARK_MEAN:
        problems.add(Problem.TOO_DARK)
    if mean > BRIGHT_MEAN:
        problems.add(Problem.GLARE)
    return quad, problems
