"""Small geometry helpers on document outlines (quads)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from kiosk.scanning.types import Quad

# A line as (point, unit direction), each an (x, y) pair: a numpy array or plain floats.
Line = tuple[np.ndarray | Sequence[float], np.ndarray | Sequence[float]]
_SIN_10 = math.sin(math.radians(10))
NEXT_CORNER = [1, 2, 3, 0]  # index of each corner's successor (cheaper than np.roll)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left (clockwise on screen)."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    # Plain Python on 4 points: a tenth of the cost of the numpy calls (called per candidate).
    p = pts.tolist()
    cx = (p[0][0] + p[1][0] + p[2][0] + p[3][0]) / 4
    cy = (p[0][1] + p[1][1] + p[2][1] + p[3][1]) / 4
    # clockwise on screen because y grows downwards
    order = sorted(range(4), key=lambda i: math.atan2(p[i][1] - cy, p[i][0] - cx))
    start = min(range(4), key=lambda k: p[order[k]][0] + p[order[k]][1])
    return pts[[order[(start + k) % 4] for k in range(4)]]


def as_quad(points: np.ndarray) -> Quad:
    p = np.asarray(points, dtype=np.float64).reshape(4, 2)
    return tuple((float(x), float(y)) for x, y in p)  # type: ignore[return-value]


def perimeter(quad: np.ndarray) -> float:
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    return float(np.linalg.norm(q - q[NEXT_CORNER], axis=1).sum())


def area(quad: np.ndarray) -> float:
    """Area of a simple polygon (shoelace; cv2 is much cheaper than numpy for 4 points)."""
    return float(cv2.contourArea(np.asarray(quad, dtype=np.float32).reshape(-1, 1, 2)))


def corner_angles(quad: np.ndarray) -> np.ndarray:
    """Interior angle at each corner, degrees (plain Python: called per candidate, and numpy's
    per-call overhead is most of the cost on 4 points)."""
    p = np.asarray(quad, dtype=np.float64).reshape(4, 2).tolist()
    out = []
    for i in range(4):
        (x, y), (px, py), (nx, ny) = p[i], p[i - 1], p[(i + 1) % 4]
        ax, ay, bx, by = px - x, py - y, nx - x, ny - y
        cos = (ax * bx + ay * by) / (math.hypot(ax, ay) * math.hypot(bx, by) + 1e-12)
        out.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))
    return np.array(out)


def tilt(quad: np.ndarray) -> tuple[float, float]:
    """(largest corner-angle deviation from 90°, smallest opposite-side length ratio)."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    sides = np.linalg.norm(q - q[NEXT_CORNER], axis=1)
    ratio = min(
        sides[0] / max(sides[2], 1e-9),
        sides[2] / max(sides[0], 1e-9),
        sides[1] / max(sides[3], 1e-9),
        sides[3] / max(sides[1], 1e-9),
    )
    return float(np.abs(corner_angles(q) - 90.0).max()), float(ratio)


def is_convex(quad: np.ndarray) -> bool:
    return bool(cv2.isContourConvex(np.asarray(quad, dtype=np.float32).reshape(4, 1, 2)))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard index of two convex quads (0 when either is degenerate)."""
    pa = np.asarray(a, dtype=np.float32).reshape(4, 2)
    pb = np.asarray(b, dtype=np.float32).reshape(4, 2)
    if not (is_convex(pa) and is_convex(pb)):
        return 0.0
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = area(pa) + area(pb) - inter
    return float(inter / union) if union > 0 else 0.0


def max_corner_error(a: np.ndarray, b: np.ndarray) -> float:
    pa = np.asarray(a, dtype=np.float64).reshape(4, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(4, 2)
    return float(np.linalg.norm(pa - pb, axis=1).max())


def side_lengths(quad: np.ndarray) -> tuple[float, float]:
    """(mean of top and bottom, mean of left and right) side lengths."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    s = np.linalg.norm(q - q[NEXT_CORNER], axis=1)
    return float((s[0] + s[2]) / 2), float((s[1] + s[3]) / 2)


def line_intersection(l1: Line, l2: Line) -> np.ndarray | None:
    """Intersection of two lines given as (point, unit direction), each a pair of numbers;
    None if nearly parallel."""
    p, d = l1
    q, e = l2
    cross = d[0] * e[1] - d[1] * e[0]
    if abs(cross) < _SIN_10:
        return None
    t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / cross
    return np.array([p[0] + t * d[0], p[1] + t * d[1]], dtype=np.float64)
