"""Seeded generator of labelled test frames for the capture engine.

Each sample is a synthetic document (ID card, passport data page, typed and signed letter) placed
with a known perspective on a background (dark, light, white-on-white, patterned, cluttered, wood)
and degraded in one controlled way. Ground truth is exact: the document's corners and the problem
codes a perfect assessor would report. Same (seed, index) gives the same frame on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from kiosk.scanning import render
from kiosk.scanning.geometry import as_quad, tilt
from kiosk.scanning.types import Problem, Quad, QualityThresholds

KINDS = ("id_card", "passport", "letter")
BACKGROUNDS = ("dark", "light", "white", "patterned", "cluttered", "wood")
# Conditions and their weights: half the corpus is good frames so false rejections are measured.
CONDITIONS: dict[str, float] = {
    "good": 0.40,
    "blurred": 0.07,
    "motion": 0.06,
    "dark": 0.07,
    "overexposed": 0.05,
    "glare": 0.07,
    "cut_off": 0.07,
    "finger": 0.06,
    "too_far": 0.07,
    "tilted": 0.08,
}
EXPECTED: dict[str, tuple[Problem, ...]] = {
    "good": (),
    "blurred": (Problem.BLURRED,),
    "motion": (Problem.BLURRED,),
    "dark": (Problem.TOO_DARK,),
    "overexposed": (Problem.GLARE,),
    "glare": (Problem.GLARE,),
    "cut_off": (Problem.CUT_OFF,),
    "finger": (Problem.CUT_OFF,),
    "too_far": (Problem.TOO_FAR,),
    "tilted": (Problem.TILTED,),
}


@dataclass(frozen=True)
class Sample:
    """One labelled frame. ``corners`` is the true outline (may extend outside the frame)."""

    index: int
    frame: np.ndarray
    corners: Quad
    expected: tuple[Problem, ...]
    kind: str
    background: str
    condition: str

    @property
    def whole_in_view(self) -> bool:
        """True when the outline is entirely inside the frame (outline accuracy is measurable)."""
        return self.condition != "cut_off"

    def border_visible(self, offset: float = 4.0, level: float = 12.0) -> float:
        """Share of the true outline across which the frame shows any contrast: 0 when
        over-exposure clipped document and desk to the same white, so that no one could locate
        the border. Read from the ground truth, for the evaluation only."""
        img = cv2.blur(self.frame, (5, 5)).astype(np.float32)
        h, w = img.shape[:2]
        q = np.asarray(self.corners, dtype=np.float64)
        b = np.roll(q, -1, axis=0)
        d = (b - q) / np.linalg.norm(b - q, axis=1, keepdims=True)
        normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
        # Outwards: away from the centre.
        normal *= np.sign((((q + b) / 2 - q.mean(axis=0)) * normal).sum(axis=1))[:, None]
        t = np.linspace(0.05, 0.95, 40)[None, :, None]
        pts = (q[:, None, :] + (b - q)[:, None, :] * t).reshape(-1, 2)
        n = np.repeat(normal, 40, axis=0)
        out, inside = np.round(pts + n * offset).astype(int), np.round(pts - n * offset).astype(int)
        ok = ((out >= 0) & (out < [w, h]) & (inside >= 0) & (inside < [w, h])).all(axis=1)
        if not ok.any():
            return 0.0
        o, i = out[ok], inside[ok]
        diff = np.abs(img[o[:, 1], o[:, 0]] - img[i[:, 1], i[:, 0]]).max(axis=1)
        return float((diff > level).mean())


def _quad(
    rng: np.random.Generator,
    doc_hw: tuple[int, int],
    frame_hw: tuple[int, int],
    fill: float,
    persp: float,
    margin: float,
) -> np.ndarray:
    dh, dw = doc_hw
    fh, fw = frame_hw
    angle = math.radians(rng.uniform(-12, 12))
    scale = math.sqrt(fill * fh * fw / (dh * dw))
    rect = (
        np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]])
        * scale
    )
    # Perspective: a trapezoid along a random axis (top/bottom or left/right) + small jitter.
    if rng.random() < 0.5:
        rect[0:2, 0] *= 1 - persp
    else:
        rect[[1, 2], 1] *= 1 - persp
    rect += rng.normal(0, 0.01, rect.shape) * np.array([dw, dh]) * scale
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    q = rect @ rot.T
    # Shrink to fit inside the frame with the margin, then place the centre at random.
    span = q.max(axis=0) - q.min(axis=0)
    room = np.array([fw, fh]) * (1 - 2 * margin)
    shrink = min(1.0, float((room / span).min()))
    q *= shrink
    lo = -q.min(axis=0) + np.array([fw, fh]) * margin
    hi = np.array([fw, fh]) * (1 - margin) - q.max(axis=0)
    centre = lo + rng.random(2) * np.maximum(hi - lo, 0)
    return q + centre


@lru_cache(maxsize=4)
def _noise(h: int, w: int) -> np.ndarray:
    # One fixed noise field, windowed at a random offset per sample: 10x faster than fresh noise.
    return np.random.default_rng(12345).standard_normal((h, w, 3), dtype=np.float32)


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = math.cos(angle) * c, math.sin(angle) * c
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
    return k / k.sum()


def make_sample(
    index: int,
    seed: int = 0,
    size: tuple[int, int] = (1280, 720),
    condition: str | None = None,
    background: str | None = None,
    kind: str | None = None,
) -> Sample:
    """Build sample ``index`` of the corpus with ``seed`` (optionally forcing some choices)."""
    rng = np.random.default_rng([seed, index])
    fw, fh = size
    kind = kind or KINDS[int(rng.integers(len(KINDS)))]
    background = background or BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    if condition is None:
        names = list(CONDITIONS)
        condition = names[
            int(
                rng.choice(
                    len(names), p=np.array(list(CONDITIONS.values())) / sum(CONDITIONS.values())
                )
            )
        ]
    thr = QualityThresholds()
    doc = render.document(kind, int(rng.integers(4)))
    bg = render.background(background, fh, fw, rng)

    fill = rng.uniform(0.25, 0.55) if condition != "too_far" else rng.uniform(0.03, 0.07)
    persp = rng.uniform(0.0, 0.10)
    margin = 0.04
    for _ in range(50):
        if condition == "tilted":
            persp = rng.uniform(0.32, 0.45)
        quad = _quad(rng, doc.shape[:2], (fh, fw), fill, persp, margin)
        dev, ratio = tilt(quad)
        is_tilted = dev > thr.max_corner_angle_dev or ratio < thr.min_side_ratio
        clearly_ok = dev < 0.7 * thr.max_corner_angle_dev and ratio > 1 - 0.7 * (
            1 - thr.min_side_ratio
        )
        if condition == "tilted" and is_tilted and dev > 1.3 * thr.max_corner_angle_dev:
            break
        if condition != "tilted" and clearly_ok:
            break
        persp *= 0.5
    if condition == "cut_off":
        # Push the document so that one corner leaves the frame by 4-20 % of its size.
        corner = int(rng.integers(4))
        centre = quad.mean(axis=0)
        direction = quad[corner] - centre
        direction /= np.linalg.norm(direction)
        span = float(np.linalg.norm(quad[0] - quad[2]))
        for _ in range(200):
            quad = quad + direction * span * 0.02
            out = np.maximum(-quad.min(axis=0), quad.max(axis=0) - [fw, fh]).max()
            if out > span * rng.uniform(0.03, 0.12):
                break

    frame = render.place(bg, doc, quad, shadow=background != "dark")
    # Exposure: real cameras expose white paper at 180-235.
    gain = rng.uniform(0.78, 0.95)
    f = frame.astype(np.float32) * gain
    if condition == "dark":
        f *= rng.uniform(0.18, 0.32)
    elif condition == "overexposed":
        f *= rng.uniform(1.7, 2.3)
    elif condition == "glare":
        # A specular highlight: a bright saturated blob inside the document.
        short = min(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[1] - quad[2]))
        t = rng.uniform(0.25, 0.75, 2)
        centre = (quad[0] * (1 - t[0]) + quad[1] * t[0]) * (1 - t[1]) + (
            quad[3] * (1 - t[0]) + quad[2] * t[0]
        ) * t[1]
        radius = short * rng.uniform(0.14, 0.22)
        yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
        d2 = ((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (radius**2)
        f += (400 * np.exp(-d2 * 1.2))[:, :, None]
    elif condition == "finger":
        corner = int(rng.integers(4))
        centre = quad.mean(axis=0)
        direction = quad[corner] - centre
        direction /= np.linalg.norm(direction)
        short = min(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[1] - quad[2]))
        length, width = short * rng.uniform(0.5, 0.8), short * rng.uniform(0.09, 0.13)
        tip = quad[corner] - direction * short * rng.uniform(0.12, 0.2)
        mid = tip + direction * length / 2
        ang = math.degrees(math.atan2(direction[1], direction[0]))
        skin = tuple(float(c) * gain for c in rng.uniform([90, 130, 180], [130, 170, 230]))
        cv2.ellipse(
            f,
            (int(mid[0]), int(mid[1])),
            (int(length / 2), int(width)),
            ang,
            0,
            360,
            skin,
            -1,
            cv2.LINE_AA,
        )
    f = np.clip(f, 0, 255)
    if condition == "blurred":
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(2.8, 5.0))
    elif condition == "motion":
        f = cv2.filter2D(f, -1, _motion_kernel(int(rng.integers(12, 24)), rng.uniform(0, math.pi)))
    else:
        s = rng.uniform(0.0, 0.7)
        if s > 0.3:
            f = cv2.GaussianBlur(f, (0, 0), s)
    oy, ox = int(rng.integers(0, 64)), int(rng.integers(0, 64))
    f += _noise(fh + 64, fw + 64)[oy : oy + fh, ox : ox + fw] * np.float32(rng.uniform(1.0, 3.5))
    out = np.clip(f, 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 92))])
    out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return Sample(index, out, as_quad(quad), EXPECTED[condition], kind, background, condition)


def generate(count: int, seed: int = 0, size: tuple[int, int] = (1280, 720)) -> Iterator[Sample]:
    """``count`` samples; conditions are spread by weight, backgrounds and kinds cycle evenly."""
    for i in range(count):
        yield make_sample(
            i,
            seed,
            size,
            background=BACKGROUNDS[i % len(BACKGROUNDS)],
            kind=KINDS[(i // len(BACKGROUNDS)) % len(KINDS)],
        )
