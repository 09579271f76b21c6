"""Document outline: coarse candidates on a small frame, sub-pixel refinement at full size.

Why several cues: the classical scanner (Canny + largest 4-point contour) fails on a white page on
a light table and on patterned or cluttered desks. Here candidates come on a 320 px wide copy from
(1) a colour-aware Canny (per pixel the strongest of the luma and two chroma gradients, YCrCb) at
two thresholds, (2) Otsu segmentations of lightness (both polarities) and of the colour distance to
the frame border (plus a looser cut that keeps darker parts such as a card's header band). A 5-8
sided outline (a finger over a corner) becomes a quad by intersecting its four longest edges.
Every candidate is scored by how much of its perimeter lies on a real, consistently oriented edge,
so clutter and half-outlines lose; an enclosing well-supported outline beats a rectangle inside
the document (photo, text block), and a side may be pushed out over a uniform printed band.
In an over-exposed frame a side that runs through blown-out white cannot be seen either way, so
it counts as supported when two other sides are seen, and two sides meeting at a corner (an "L"
of edges) are completed to a parallelogram.
The winner is refined at full resolution: each side's edge is located along 40 normals to
sub-pixel precision, a robust line is fitted per side, and adjacent lines are intersected. Edge
profiles across the border also measure its blur, which does not depend on the document's content
(a blank page and a dense form blur the same way).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.scanning.geometry import (
    NEXT_CORNER,
    area,
    corner_angles,
    is_convex,
    line_intersection,
    order_corners,
)

WORK_WIDTH = 320  # coarse analysis width, px
# Over-exposure: luma at or above _BLOWN_Y with no edge is blown-out white; a frame with at least
# _WASHED of it gets outlines completed from the sides that are still visible.
_BLOWN_Y = 247
_OFFSETS = np.array([-1.0, 0.0, 1.0])[:, None, None, None]  # across a side, for _seg_support
_WASHED = 0.15
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# An edge point supports a side when its gradient is within ~33° of the side's normal
# (cos² 33° ≈ 0.7). The looser 53° let wood grain and stripes support a side running across
# them, so a wedge of desk could outrank the page.
_ALIGNED_COS2 = 0.7


@dataclass(frozen=True)
class Detection:
    """Refined outline in full-frame pixels plus per-side measurements."""

    corners: np.ndarray  # (4, 2) TL, TR, BR, BL; may lie outside the frame when cut off
    score: float  # 0-1 edge support of the coarse candidate
    touches_border: bool  # the document region reaches the frame border
    corner_support: np.ndarray  # (4,) share of edge found next to each corner (0-1)
    blur_sigma: float  # estimated Gaussian blur of the border, full-res px (nan when unknown)
    scale: float  # coarse image / full image
    corner_contrast: np.ndarray  # (4,) contrast across each corner / across the sides (0-1)
    # (4,) the corner lies in blown-out white: neither seen nor hidden by a finger (GLARE says it)
    corner_blown: np.ndarray = field(default_factory=lambda: np.zeros(4, bool))


def _small(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """The frame at WORK_WIDTH (box-filtered) and its scale.

    Exact halvings go first: OpenCV's INTER_AREA has a fast path for a factor of 2, so
    1280 → 640 → 320 costs a third of 1280 → 320 in one go (pixels differ by at most 1 level).
    """
    h, w = frame.shape[:2]
    scale = min(1.0, WORK_WIDTH / w)
    if scale >= 1.0:
        return frame, 1.0
    size = (round(w * scale), round(h * scale))
    img = frame
    # Halve only while the rest stays an integer factor (1920 → 960 → 320, not → 480 → 320):
    # an integer-factor box filter composes exactly, a fractional one does not.
    while (
        img.shape[1] % (2 * size[0]) == 0
        and img.shape[0] % (2 * size[1]) == 0
        and img.shape[1] > size[0]
    ):
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (img.shape[1], img.shape[0]) != size:
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    return img, size[0] / w


def _gradients(ycc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel strongest gradient over Y, Cr, Cb (colour edges count like lightness edges)."""
    blurred = cv2.GaussianBlur(ycc, (3, 3), 0)
    # One channel at a time with OpenCV primitives only: 7x cheaper than 3-channel numpy selects.
    # Chroma channels have a small range; double them so colour edges compete.
    # (YCrCb rather than Lab: ten times cheaper to convert and measured as accurate.)
    gx = gy = best = None
    for c, channel in enumerate(cv2.split(blurred)):
        s = 1.0 if c == 0 else 2.0
        dx = cv2.Sobel(channel, cv2.CV_16S, 1, 0, ksize=3, scale=s)
        dy = cv2.Sobel(channel, cv2.CV_16S, 0, 1, ksize=3, scale=s)
        mag = cv2.add(np.abs(dx), np.abs(dy))  # ≤ 2 * 2 * 1020: fits int16
        if best is None:
            gx, gy, best = dx, dy, mag
            continue
        sel = cv2.compare(mag, best, cv2.CMP_GT)  # strictly stronger: ties keep the earlier one
        cv2.copyTo(dx, sel, gx)
        cv2.copyTo(dy, sel, gy)
        best = cv2.max(best, mag)
    return gx, gy, best.astype(np.int32)


def _percentile(values: np.ndarray, q: float) -> float:
    """np.percentile (linear interpolation) via one partial sort: half the cost."""
    flat = values.ravel()
    pos = q / 100.0 * (flat.size - 1)
    lo = int(pos)
    hi = min(lo + 1, flat.size - 1)
    part = np.partition(flat, [lo, hi])
    a, b, t = float(part[lo]), float(part[hi]), pos - lo
    # numpy's lerp, bit for bit: from the nearer end.
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _median(values: np.ndarray) -> float:
    """np.median of a 1-D array via a partial sort (a fifth of the cost on short arrays)."""
    n = values.size
    if n == 0:
        return float("nan")
    k = n // 2
    if n % 2:
        return float(np.partition(values, k)[k])
    part = np.partition(values, [k - 1, k])
    return float((part[k - 1] + part[k]) / 2)


def _quad_from_lines(poly: np.ndarray) -> np.ndarray | None:
    """Quad from the 4 longest edges of a 5-8 sided polygon, extended and intersected.

    A finger or another object over a corner turns the outline into a pentagon or hexagon; the
    document's four sides are still its longest edges, and their intersections restore the hidden
    corners.
    """
    # Plain Python floats: a handful of points, called for many candidates.
    p = poly.tolist()
    n = len(p)
    steps = [(p[(i + 1) % n][0] - p[i][0], p[(i + 1) % n][1] - p[i][1]) for i in range(n)]
    lengths = [math.hypot(dx, dy) for dx, dy in steps]
    keep = sorted(sorted(range(n), key=lambda i: -lengths[i])[:4])
    lines = []
    for i in keep:
        (dx, dy), length = steps[i], lengths[i] + 1e-9
        lines.append((p[i], (dx / length, dy / length)))
    corners = []
    for k in range(4):
        x = line_intersection(lines[k - 1], lines[k])
        if x is None:
            return None
        corners.append(x)
    q = np.array(corners)
    return q if is_convex(q) else None


def _quad_from_clipped(hull: np.ndarray, eps: float, w: int, h: int) -> np.ndarray | None:
    """The whole outline of a document pushed partly out of the frame, from the hull of its visible
    part: that hull is the document's four sides clipped by the frame, so dropping its runs along
    the frame border leaves pieces of exactly four sides, which extended meet at the hidden
    corners. None when the hull does not reach the border or does not split into four sides."""
    bx, by, bw, bh = cv2.boundingRect(hull)
    if bx >= 1 and by >= 1 and bx + bw - 1 <= w - 2 and by + bh - 1 <= h - 2:
        return None
    p = hull.reshape(-1, 2).astype(np.float64)
    n = len(p)
    x, y = p[:, 0], p[:, 1]
    q = np.roll(p, -1, axis=0)
    # A region's outline runs along the frame on its very first or last pixel row/column; any
    # slack would swallow a side that leaves the frame at a shallow angle.
    on = (
        ((x < 1) & (q[:, 0] < 1))
        | ((x > w - 2) & (q[:, 0] > w - 2))
        | ((y < 1) & (q[:, 1] < 1))
        | ((y > h - 2) & (q[:, 1] > h - 2))
    )
    if not on.any() or on.all():
        return None
    # Start right after a border edge so every chain of in-frame edges is contiguous.
    start = (int(np.nonzero(on)[0][0]) + 1) % n
    chains: list[list[np.ndarray]] = []
    current: list[np.ndarray] = [p[start]]
    for k in range(n):
        i = (start + k) % n
        if on[i]:
            if len(current) > 1:
                chains.append(current)
            current = [p[(i + 1) % n]]
        else:
            current.append(p[(i + 1) % n])
    lines: list[tuple[np.ndarray, np.ndarray]] = []
    for chain in chains:
        pts = cv2.approxPolyDP(np.float32(chain).reshape(-1, 1, 2), eps, False).reshape(-1, 2)
        for a, b in itertools.pairwise(pts):
            d = (b - a).astype(np.float64)
            length = float(np.hypot(*d))
            if length >= eps:  # a hull's rounding at a corner is not a side
                lines.append((a.astype(np.float64), d / length))
    if len(lines) != 4:
        return None
    corners = [line_intersection(lines[k - 1], lines[k]) for k in range(4)]
    if any(c is None for c in corners):
        return None
    quad = np.array(corners)
    return quad if is_convex(quad) else None


def _quad_from_contour(
    contour: np.ndarray, min_area: float, max_area: float, w: int, h: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Quads from a region's hull, and quads extrapolated from its own outline where a finger
    bridges the hull across a hidden side or the frame clips a corner off ("bridged": they
    compete like the others but, being extrapolated, never replace the winner as its enclosing
    outline)."""
    hull = cv2.convexHull(contour)
    a = cv2.contourArea(hull)
    if a < min_area or a > max_area:
        return [], []
    peri = cv2.arcLength(hull, True)
    out: list[np.ndarray] = []
    bridged: list[np.ndarray] = []
    clipped = _quad_from_clipped(hull, 0.02 * peri, w, h)
    if clipped is not None and area(clipped) < 2.0 * a:
        bridged.append(clipped)
    for eps in (0.02, 0.035, 0.05, 0.07, 0.1):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if eps == 0.02 and len(approx) >= 4:
            # A finger reaching past a corner makes the hull cut across the hidden side (or
            # replace the corner by the fingertip); the region's own outline still runs along
            # that side up to the finger.
            raw = cv2.approxPolyDP(contour, 0.02 * peri, True).reshape(-1, 2).astype(np.float64)
            if 5 <= len(raw) <= 10:
                q = _quad_from_lines(raw)
                if q is not None and area(q) < 1.6 * a:
                    bridged.append(q)
        if len(approx) == 4:
            out.append(approx.reshape(4, 2).astype(np.float64))
            break
        if len(approx) < 4:
            break
        if eps == 0.02 and 5 <= len(approx) <= 8:
            q = _quad_from_lines(approx.reshape(-1, 2).astype(np.float64))
            if q is not None and area(q) < 1.6 * a:
                out.append(q)
    return out, bridged


def _candidates(
    small: np.ndarray,
    ycc: np.ndarray,
    mag: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    thresh: float = 16.0,
    washed: bool = False,
) -> tuple[list[np.ndarray], list[bool]]:
    """Candidate quads on the coarse image and, per quad, whether it is bridged (see
    _quad_from_contour)."""
    h, w = mag.shape
    frame_area = float(h * w)
    min_area, max_area = 0.015 * frame_area, 0.92 * frame_area
    masks: list[np.ndarray] = []
    # (1) Colour-aware Canny, thresholds from the gradient distribution (adapts to low contrast).
    hi = _percentile(mag[::2, ::2], 92.0)
    hi = max(hi, 24.0)
    edges = cv2.Canny(gx, gy, hi * 0.4, hi, L2gradient=False)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    masks.append(edges)
    # Low-contrast variant for white-on-white.
    f = thresh / 16.0  # a dark frame's edges are proportionally weaker
    edges_low = cv2.Canny(gx, gy, 10 * f, 30 * f)
    masks.append(cv2.dilate(edges_low, np.ones((3, 3), np.uint8)))
    # (2) Segmentations: lightness and colour distance to the frame border, both polarities.
    lum = cv2.GaussianBlur(ycc[:, :, 0], (5, 5), 0)
    border = np.concatenate(
        [
            ycc[:3].reshape(-1, 3),
            ycc[-3:].reshape(-1, 3),
            ycc[:, :3].reshape(-1, 3),
            ycc[:, -3:].reshape(-1, 3),
        ]
    )
    ref = np.median(border, axis=0).astype(np.float32)
    # Weighted (1, 2, 2) distance to ref with cv2.transform: 6x cheaper than np.linalg.norm.
    weights = np.float32([1, 2, 2])
    affine = np.zeros((3, 4), np.float32)
    affine[:, :3] = np.diag(weights)
    affine[:, 3] = -ref * weights
    diff = cv2.transform(ycc.astype(np.float32), affine)
    dist = cv2.sqrt(cv2.transform(cv2.multiply(diff, diff), np.ones((1, 3), np.float32)))
    dist8 = cv2.GaussianBlur(np.minimum(dist, 255).astype(np.uint8), (5, 5), 0)
    kernel = np.ones((5, 5), np.uint8)
    for channel in (lum, dist8):
        level, th = cv2.threshold(channel, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        for m in (th, 255 - th) if channel is lum else (th,):
            masks.append(cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel))
    # Half the Otsu level keeps a document's darker parts (a coloured header band) that Otsu
    # splits off with the desk.
    _, low = cv2.threshold(dist8, level * 0.5, 255, cv2.THRESH_BINARY)
    masks.append(cv2.morphologyEx(low, cv2.MORPH_OPEN, kernel))
    quads: list[np.ndarray] = []
    flags: list[bool] = []
    for i, m in enumerate(masks):
        mode = cv2.RETR_LIST if i < 2 else cv2.RETR_EXTERNAL
        contours, _ = cv2.findContours(m, mode, cv2.CHAIN_APPROX_SIMPLE)
        if washed and i < 2:
            # Two sides of a page whose other two are blown out form an open "L" of edges: its
            # loop encloses almost nothing, so rank the chains by their hull instead.
            hulls = sorted(
                (cv2.convexHull(c) for c in contours), key=cv2.contourArea, reverse=True
            )[:4]
            for hull in hulls:
                q = _quad_from_corner(hull, min_area, max_area)
                if q is not None:
                    quads.append(order_corners(q))
                    flags.append(True)
        contours = sorted(contours, key=cv2.contourArea, reverse=True)[:4]
        for c in contours:
            hull_quads, bridged = _quad_from_contour(c, min_area, max_area, w, h)
            for q in hull_quads + bridged:
                quads.append(order_corners(q))
            flags += [False] * len(hull_quads) + [True] * len(bridged)
    # (3) Holes of the low-contrast edge map once gaps of a few pixels are closed: where an
    # object touches a page among clutter, its border loop has a gap, the page's inside runs out
    # to the desk through it and is no hole of the map above.
    closed = cv2.morphologyEx(masks[1], cv2.MORPH_CLOSE, kernel)
    contours, hierarchy = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    holes = [] if hierarchy is None else np.nonzero(hierarchy[0][:, 3] >= 0)[0]
    enclosed = sorted(((cv2.contourArea(contours[k]), k) for k in holes), reverse=True)[:3]
    for a, k in enclosed:
        if a < min_area:
            break
        # Only the hull's own quads: an outline extrapolated from a hole overshot the card it
        # lies in by a pixel or two, enough to fail the enclosing-outline test below.
        for q in _quad_from_contour(contours[k], min_area, max_area, w, h)[0]:
            quads.append(order_corners(q))
            flags.append(False)
    return quads, flags


def _quad_from_corner(hull: np.ndarray, min_area: float, max_area: float) -> np.ndarray | None:
    """A parallelogram completing two sides that meet at a corner (the hull of an "L" of edges is
    a triangle: the corner and the two far ends, where the sides fade into over-exposure)."""
    tri = cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(tri) != 3:
        return None
    tri = tri.astype(np.float64)
    angles = []
    for k in range(3):
        u, v = tri[k - 1] - tri[k], tri[(k + 1) % 3] - tri[k]
        cos = float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9)
        angles.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))
    k = int(np.argmin(np.abs(np.array(angles) - 90.0)))
    if abs(angles[k] - 90.0) > 30.0:
        return None
    c, a, b = tri[k], tri[k - 1], tri[(k + 1) % 3]
    q = np.array([a, c, b, a + b - c])
    qa = area(q)
    return q if min_area <= qa <= max_area else None


def _seg_support(
    p0: np.ndarray,
    p1: np.ndarray,
    mag: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    thresh: float,
    n: int = 24,
    border_ok: bool = True,
) -> np.ndarray:
    """For K segments p0→p1 (K, 2), the share of points on an edge perpendicular to the segment
    (points on the frame border count as supported: a cut-off document ends there)."""
    h, w = mag.shape
    pts = _side_points(p0, p1, n)  # (K, n, 2)
    d = (p1 - p0) / (np.linalg.norm(p1 - p0, axis=1, keepdims=True) + 1e-9)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)[:, None, :]  # (K, 1, 2)
    hits = (
        (pts[..., 0] < 1.5)
        | (pts[..., 0] > w - 2.5)
        | (pts[..., 1] < 1.5)
        | (pts[..., 1] > h - 2.5)
    ) & border_ok
    # The three offsets across the side (-1, 0, +1 px) in one gather through flat indices.
    qq = np.round(pts[None] + normal[None] * _OFFSETS).astype(np.intp)  # (3, K, n, 2)
    qx, qy = qq[..., 0], qq[..., 1]
    inside = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
    flat = np.clip(qy, 0, h - 1) * w + np.clip(qx, 0, w - 1)
    ex, ey = gx.ravel()[flat].astype(np.float64), gy.ravel()[flat].astype(np.float64)
    along = ex * normal[..., 0] + ey * normal[..., 1]
    aligned = along * along > _ALIGNED_COS2 * (ex * ex + ey * ey)
    hits |= (inside & (mag.ravel()[flat] > thresh) & aligned).any(axis=0)
    return hits.mean(axis=1)


def _quad_support(
    q: np.ndarray, mag: np.ndarray, gx: np.ndarray, gy: np.ndarray, thresh: float, n: int = 24
) -> np.ndarray:
    """Per side of a quad, the share of its length that lies on a matching edge."""
    return _seg_support(q, q[NEXT_CORNER], mag, gx, gy, thresh, n)


def _uniform_band(
    ycc: np.ndarray, a: np.ndarray, b: np.ndarray, na: np.ndarray, nb: np.ndarray
) -> bool:
    """True when the strip between side a-b and its shifted copy na-nb has one colour (chroma
    median absolute deviation small): a printed band is uniform, a checkered desk is not."""
    h, w = ycc.shape[:2]
    t = np.linspace(0.1, 0.9, 24)[:, None]

    def chroma_along(fractions: tuple[float, ...]) -> np.ndarray:
        # Chroma at 24 points on each line parallel to a-b, a fraction of the way to na-nb.
        pts = np.concatenate(
            [(a + (na - a) * f) + ((b + (nb - b) * f) - (a + (na - a) * f)) * t for f in fractions]
        )
        x = np.clip(np.round(pts[:, 0]).astype(int), 0, w - 1)
        y = np.clip(np.round(pts[:, 1]).astype(int), 0, h - 1)
        return ycc[y, x, 1:].astype(np.float64)

    chroma = chroma_along((0.25, 0.5, 0.75))
    mad = np.median(np.abs(chroma - np.median(chroma, axis=0)), axis=0)
    if mad.max() <= 3.0:
        return True
    # Lines of text can cover half the band; between them a line through it is one colour. A
    # checkered desk can also look one-coloured along a line (samples falling mostly on one
    # colour), but its colour then recurs in the strip beyond; a band's does not.
    rows = chroma.reshape(3, -1, 2)
    centre = np.median(rows, axis=1, keepdims=True)
    row_mad = np.median(np.abs(rows - centre), axis=1).max(axis=1)
    k = int(np.argmin(row_mad))
    if row_mad[k] > 3.0:
        return False
    same = (np.abs(chroma_along((1.25, 1.5)) - centre[k]) <= 4.0).all(axis=1)
    return bool(same.mean() < 0.25)


def _side_steps(
    q: np.ndarray, i: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Side i (a, b) and its copies shifted outwards along both neighbouring sides, 1 px apart."""
    a, b = q[i], q[(i + 1) % 4]
    prev_dir = a - q[(i - 1) % 4]  # neighbouring sides, pointing towards this side
    next_dir = b - q[(i + 2) % 4]
    span = min(np.linalg.norm(prev_dir), np.linalg.norm(next_dir))
    if span < 20:
        return None
    prev_dir = prev_dir / np.linalg.norm(prev_dir)
    next_dir = next_dir / np.linalg.norm(next_dir)
    steps = np.arange(1.0, 0.3 * span, 1.0)
    return a, b, a + steps[:, None] * prev_dir, b + steps[:, None] * next_dir


def _extend(
    q: np.ndarray,
    mag: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    thresh: float,
    ycc: np.ndarray,
) -> np.ndarray:
    """Push a side outwards onto a parallel edge when both neighbouring sides visibly continue up
    to it, past a gap without edges: recovers an ID card's coloured header band that blends into
    a busy desk (the band/white boundary is then crisper than the card's own border)."""
    q = q.copy()
    # The shifted copies of all four sides are scored in one batch; a side is re-scored alone
    # only when an earlier side was pushed out (which moves its end points).
    steps = [_side_steps(q, i) for i in range(4)]
    live = [s for s in steps if s is not None]
    supports: list[np.ndarray | None] = [None] * 4
    if live:
        flat = _seg_support(
            np.concatenate([s[2] for s in live]),
            np.concatenate([s[3] for s in live]),
            mag,
            gx,
            gy,
            thresh,
            16,
            border_ok=False,
        )
        start = 0
        for i, st in enumerate(steps):
            if st is not None:
                supports[i] = flat[start : start + len(st[2])]
                start += len(st[2])
    changed = relaxed_used = False
    for i in range(4):
        if changed:
            st = _side_steps(q, i)
            if st is None:
                continue
            side = _seg_support(st[2], st[3], mag, gx, gy, thresh, 16, border_ok=False)
        else:
            st, side = steps[i], supports[i]
            if st is None or side is None:
                continue
        a, b, na, nb = st
        # Inside the band the support dips (its text makes it noisy, not empty), then the band's
        # outer edge forms a plateau of full support a few pixels wide: take the plateau's middle.
        gap = np.nonzero(side < 0.7)[0]
        if len(gap) == 0:
            continue
        strong = np.nonzero(side[gap[0] :] >= 0.85)[0]
        if len(strong) == 0:
            continue
        first = int(gap[0] + strong[0])
        last = first
        while last + 1 < len(side) and side[last + 1] >= 0.85:
            last += 1
        k = (first + last) // 2
        ext = _seg_support(
            np.stack([a, b]), np.stack([na[k], nb[k]]), mag, gx, gy, thresh, 12, border_ok=False
        )
        if ext.min() >= 0.85 or (
            # Only one neighbouring side visibly continues (the band's far corner blends into
            # the desk or a finger covers it): accept only the ID card's shape, a long side of
            # an outline too elongated for any document (card without its band ≈ 1.9:1) whose
            # extension gives a card's proportions (1.59:1).
            not relaxed_used and ext.max() >= 0.85 and _band_fits_card(q, i, na[k], nb[k])
        ):
            if not _uniform_band(ycc, a, b, na[k], nb[k]):
                continue
            if ext.min() < 0.85:
                relaxed_used = True
            q[i], q[(i + 1) % 4] = na[k], nb[k]
            changed = True
    return q


def _band_fits_card(q: np.ndarray, i: int, na: np.ndarray, nb: np.ndarray) -> bool:
    """True when side i of q is a long side of an outline elongated like an ID card cut at its
    header band (≥ 1.7:1), and pushing it to na-nb restores a card's 1.59:1 (within 1.4-1.8)."""
    sides = np.linalg.norm(q - q[NEXT_CORNER], axis=1)
    long_side = (sides[i] + sides[(i + 2) % 4]) / 2
    short_side = (sides[(i + 1) % 4] + sides[(i + 3) % 4]) / 2
    if short_side <= 0 or long_side / short_side < 1.7:
        return False
    pushed = short_side + float(np.linalg.norm((na + nb) / 2 - (q[i] + q[(i + 1) % 4]) / 2))
    return 1.4 <= long_side / pushed <= 1.8


def _border_sides(q: np.ndarray, w: int, h: int) -> list[str]:
    """Which frame borders ("l", "r", "t", "b") sides of the quad run along."""
    border = []
    p = q.tolist()  # plain floats: called for every candidate
    for i in range(4):
        a, b = p[i], p[(i + 1) % 4]
        if max(a[0], b[0]) < 2.5:
            border.append("l")
        elif min(a[0], b[0]) > w - 3.5:
            border.append("r")
        elif max(a[1], b[1]) < 2.5:
            border.append("t")
        elif min(a[1], b[1]) > h - 3.5:
            border.append("b")
    return border


def _within(q: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> bool:
    """All corners strictly inside the box (plain floats: called for every candidate)."""
    return all(x0 < x < x1 and y0 < y < y1 for x, y in q.tolist())


def _in_frame(q: np.ndarray, w: int, h: int) -> bool:
    """All corners inside the frame."""
    return bool(q.min() >= 0 and q[:, 0].max() <= w - 1 and q[:, 1].max() <= h - 1)


def _frame_like(border: list[str], q: np.ndarray, w: int, h: int) -> bool:
    """True when the quad runs along the frame border on two opposite sides or on three or more:
    the frame itself or a region that fills it, never a document. Two adjacent border sides are a
    document cut off at a frame corner (pushed out past the corner of the view)."""
    if len(border) >= 3:
        return True
    if len(border) == 2:
        pair = set(border)
        return pair in ({"l", "r"}, {"t", "b"}) or len(pair) == 1 or area(q) > 0.5 * w * h
    return False


def _plausible_angles(q: np.ndarray) -> bool:
    """No corner further than 60° from square: a document seen even at a steep angle keeps its
    corners within about 45°; slivers of wood grain or clutter do not."""
    return bool(np.abs(corner_angles(q) - 90.0).max() <= 60.0)


def _score_all(
    quads: list[np.ndarray],
    mag: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    thresh: float,
    blown: np.ndarray | None = None,
) -> list[tuple[float, float]]:
    """(edge support 0-1, size preference) of each candidate quad on the coarse image.

    All sides of all scorable candidates are sampled in one vectorised call.
    """
    h, w = mag.shape
    out: list[tuple[float, float]] = [(0.0, 0.0)] * len(quads)
    # A side running along the frame border is a cut-off document at best (see _frame_like).
    # A corner far outside the frame comes from extending the sides of a clutter polygon; the
    # off-frame part of its sides would count as supported, so such a candidate wins on nothing.
    far = 0.25 * min(w, h)
    borders = [_border_sides(q, w, h) for q in quads]
    live = [
        i
        for i, q in enumerate(quads)
        if _within(q, -far, -far, w - 1 + far, h - 1 + far)
        and is_convex(q)
        and not _frame_like(borders[i], q, w, h)
        and _plausible_angles(q)
    ]
    if not live:
        return out
    qs = np.stack([quads[i] for i in live])  # (K, 4, 2)
    p0 = qs.reshape(-1, 2)
    p1 = qs[:, NEXT_CORNER].reshape(-1, 2)
    sides = _seg_support(p0, p1, mag, gx, gy, thresh, 24).reshape(-1, 4)
    blown_sides = None if blown is None else _blown_share(p0, p1, blown).reshape(-1, 4)
    for k, i in enumerate(live):
        frac = area(quads[i]) / (h * w)
        sd = sides[k]
        # Every side must be supported; larger outlines are preferred because a document contains
        # rectangles of its own (photo, header band, text block) that are often cleaner than its
        # border.
        # Two of its sides are free (the frame border counts as support): a region in a corner of
        # the view must clearly beat the fully visible candidates to be taken for the document.
        size = float(frac**0.2) * (0.85 if len(borders[i]) == 2 else 1.0)
        if blown_sides is not None and (sd >= 0.8).sum() >= 2:
            # In an over-exposed frame a side running through blown-out white is unobservable,
            # like one on the frame border; two sides must still be seen.
            sd = np.where(sd >= 0.8, sd, np.maximum(sd, blown_sides[k]))
        out[i] = (float(sd.mean() * sd.min() ** 0.5), size)
    return out


def _blown(ycc: np.ndarray, mag: np.ndarray, thresh: float) -> np.ndarray:
    """Flat, clipped white on the coarse image: where an edge could not be seen if it were there."""
    return ((ycc[:, :, 0] >= _BLOWN_Y) & (mag < thresh)).astype(np.uint8)


def _side_points(p0: np.ndarray, p1: np.ndarray, n: int) -> np.ndarray:
    """``n`` points evenly spread over the middle 80 % of each of K segments: (K, n, 2)."""
    t = np.linspace(0.1, 0.9, n)[None, :, None]
    return p0[:, None, :] + (p1 - p0)[:, None, :] * t


def _blown_share(p0: np.ndarray, p1: np.ndarray, blown: np.ndarray, n: int = 24) -> np.ndarray:
    """For K segments, the share of the points _seg_support samples lying in blown-out white."""
    h, w = blown.shape
    pts = _side_points(p0, p1, n)
    x = np.clip(np.round(pts[..., 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(pts[..., 1]).astype(int), 0, h - 1)
    return blown[y, x].mean(axis=1)


def _profiles(
    img: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    radius: float,
    n: int,
    t0: float = 0.08,
    t1: float = 0.92,
    step: float = 1.0,
    ts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``n`` intensity profiles across each of K sides p0→p1 ((K, 2) each) in one remap.

    Returns profiles (K, n, 2r+1, C), centres (K, n, 2), normals (K, 2), offsets, valid (K, n).
    Positions along a side are ``n`` evenly spaced in [t0, t1], or exactly ``ts`` when given.
    """
    d = (p1 - p0) / (np.linalg.norm(p1 - p0, axis=1, keepdims=True) + 1e-9)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)  # (K, 2)
    t = (np.linspace(t0, t1, n) if ts is None else ts)[None, :, None]
    centres = p0[:, None, :] + (p1 - p0)[:, None, :] * t  # (K, n, 2)
    offsets = np.arange(-radius, radius + 1e-6, step)
    pts = centres[:, :, None, :] + offsets[None, None, :, None] * normal[:, None, None, :]
    k = len(p0)
    mapx = pts[..., 0].astype(np.float32).reshape(k * n, -1)
    mapy = pts[..., 1].astype(np.float32).reshape(k * n, -1)
    prof = cv2.remap(
        img, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1
    )
    if prof.ndim == 2:
        prof = prof[:, :, None]
    h, w = img.shape[:2]
    valid = ((mapx >= 0) & (mapx <= w - 1) & (mapy >= 0) & (mapy <= h - 1)).all(axis=1)
    prof = prof.astype(np.float32).reshape(k, n, len(offsets), -1)
    return prof, centres, normal, offsets, valid.reshape(k, n)


def _strengths(
    img: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    radius: float,
    n: int,
    t0: float = 0.08,
    t1: float = 0.92,
    ts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradient strength along normals of K sides: (profiles, strength (K, n, m-2), centres,
    normals, offsets, valid)."""
    prof, centres, normal, offsets, valid = _profiles(img, p0, p1, radius, n, t0, t1, ts=ts)
    deriv = (prof[:, :, 2:] - prof[:, :, :-2]) * 0.5  # central difference, (K, n, m-2, C)
    if deriv.shape[-1] == 1:
        strength = np.abs(deriv[..., 0])
    else:
        strength = np.sqrt((deriv * deriv).sum(axis=-1))
    return prof, strength, centres, normal, offsets, valid


def _locate(
    strength: np.ndarray,
    centres: np.ndarray,
    normal: np.ndarray,
    offsets: np.ndarray,
    prior: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel position of the strongest edge along each normal: (points (K, n, 2), strength
    at the peak (K, n)). ``prior``: prefer edges near the centre line (strength weighted by a
    Gaussian of that many px)."""
    pick = strength
    if prior is not None:
        pick = strength * np.exp(-0.5 * (offsets[1:-1] / prior) ** 2)[None, None, :]
    i = np.clip(np.argmax(pick, axis=2), 1, strength.shape[2] - 2)  # (K, n)
    a = np.take_along_axis(strength, (i - 1)[..., None], axis=2)[..., 0]
    b = np.take_along_axis(strength, i[..., None], axis=2)[..., 0]
    c = np.take_along_axis(strength, (i + 1)[..., None], axis=2)[..., 0]
    denom = a - 2 * b + c
    shift = np.where(np.abs(denom) > 1e-6, 0.5 * (a - c) / np.where(denom == 0, 1, denom), 0.0)
    shift = np.clip(shift, -0.5, 0.5)
    pos = offsets[1:-1][i] + shift
    return centres + pos[..., None] * normal[:, None, :], b


def _edge_points(
    img: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    radius: float,
    n: int,
    t0: float = 0.08,
    t1: float = 0.92,
    ts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sub-pixel edge locations along normals of K sides ((K, 2) endpoints), all in one batch:
    (points (K, n, 2), strength (K, n), sigma (K, n), valid (K, n))."""
    prof, strength, centres, normal, offsets, valid = _strengths(img, p0, p1, radius, n, t0, t1, ts)
    points, b = _locate(strength, centres, normal, offsets)
    # Blur: for a Gaussian-blurred step, peak slope = contrast / (sigma * sqrt(2*pi)).
    m = max(2, prof.shape[2] // 6)
    jump = prof[:, :, -m:].mean(axis=2) - prof[:, :, :m].mean(axis=2)  # (K, n, C)
    contrast = np.sqrt((jump * jump).sum(axis=-1))
    sigma = contrast / (b * _SQRT_2PI + 1e-6)
    return points, b, sigma, valid


def _fit_line(points: np.ndarray, weights_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    pts = points[weights_ok]
    if len(pts) < 5:
        return None
    for _ in range(2):
        vx, vy, x0, y0 = cv2.fitLine(pts.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        d = np.array([vx, vy], np.float64)
        p = np.array([x0, y0], np.float64)
        resid = np.abs((pts - p) @ np.array([-d[1], d[0]]))
        keep = resid < max(1.0, 2.5 * _median(resid))
        if keep.sum() < 5 or keep.all():
            break
        pts = pts[keep]
    return p, d


def _sides(quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return quad, quad[NEXT_CORNER]


def _refine(
    frame: np.ndarray, coarse: np.ndarray, radius: float, prior: float | None = None
) -> np.ndarray:
    """Move each side onto the strongest nearby edge, fit lines, intersect: sub-pixel corners.

    With ``prior`` (px), each side is also fitted to the edges nearest its expected position
    (strength weighted by a Gaussian of the offset), and the fit that more of the side's
    normals agree with is kept: a weak border next to strong print (a passport's photo) is then
    not traded for the print, while a coarse outline several pixels off still moves to the
    border.
    """
    h, w = frame.shape[:2]
    lines: list[tuple[np.ndarray, np.ndarray] | None] = []
    _, strength_all, centres, normal, offsets, all_valid = _strengths(
        frame, *_sides(coarse), radius, 40
    )
    passes = [_locate(strength_all, centres, normal, offsets)]
    if prior is not None:
        passes.append(_locate(strength_all, centres, normal, offsets, prior))
    for i in range(4):
        best_line, best_cover = None, -1
        for k, (all_pts, all_strength) in enumerate(passes):
            if k and np.array_equal(all_pts[i], passes[0][0][i]):
                continue  # the prior picked the same edges: the same fit
            pts, strength, valid = all_pts[i], all_strength[i], all_valid[i]
            inside = (pts[:, 0] > 1) & (pts[:, 0] < w - 2) & (pts[:, 1] > 1) & (pts[:, 1] < h - 2)
            good = (
                valid
                & inside
                & (strength > max(2.0, 0.35 * _median(strength[valid]) if valid.any() else 2.0))
            )
            line = _fit_line(pts, good)
            if line is None:
                continue
            p, d = line
            cover = int((np.abs((pts[good] - p) @ np.array([-d[1], d[0]])) < 1.5).sum())
            if cover > best_cover:
                best_line, best_cover = line, cover
        lines.append(best_line)
    out = coarse.copy()
    for i in range(4):
        a, b = lines[(i - 1) % 4], lines[i]
        if a is None or b is None:
            continue
        x = line_intersection(a, b)
        if x is not None and np.linalg.norm(x - coarse[i]) < 3 * radius + 2:
            out[i] = x
    return out


def _corner_support(frame: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Share of the outline found near each corner: low when a finger or the border hides it."""
    h, w = frame.shape[:2]
    size = math.sqrt(max(area(quad), 1.0))
    radius = max(2.0, size * 0.01)
    support = np.ones(4)
    ends = np.concatenate([np.linspace(0.02, 0.15, 10), np.linspace(0.85, 0.98, 10)])
    p0, p1 = _sides(quad)
    pts, strength, _, valid = _edge_points(frame, p0, p1, radius, 20, ts=ends)
    d = (p1 - p0) / (np.linalg.norm(p1 - p0, axis=1, keepdims=True) + 1e-9)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    resid = np.abs(((pts - p0[:, None, :]) * normal[:, None, :]).sum(axis=2))
    inside = (
        (pts[..., 0] >= 0) & (pts[..., 0] <= w - 1) & (pts[..., 1] >= 0) & (pts[..., 1] <= h - 1)
    )
    found = valid & inside & (resid < max(1.5, radius * 0.6)) & (strength > 4.0)
    start, end = found[:, :10].mean(axis=1), found[:, 10:].mean(axis=1)
    for i in range(4):
        # corner i is at the start of side i and the end of side i-1
        support[i] = min(start[i], end[(i - 1) % 4])
    return support


def _corner_contrast(ycc: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Per corner, colour contrast across the corner relative to the contrast across the sides.

    A finger over a corner continues outside the document, so just inside and just outside the
    corner look alike while the sides still contrast with the desk. Returns 1 for a visible
    corner, lower as it fades (1 also when the corner is outside the frame: CUT_OFF covers that).
    """
    h, w = ycc.shape[:2]
    img = cv2.blur(ycc, (3, 3)).astype(np.float32)
    delta = max(2.0, 0.05 * math.sqrt(max(area(quad), 1.0)))

    def at(p: np.ndarray) -> np.ndarray | None:
        x, y = round(float(p[0])), round(float(p[1]))
        return img[y, x] if 0 <= x < w and 0 <= y < h else None

    refs = []
    for i in range(4):
        p0, p1 = quad[i], quad[(i + 1) % 4]
        d = (p1 - p0) / (np.linalg.norm(p1 - p0) + 1e-9)
        normal = np.array([-d[1], d[0]])
        for t in (0.3, 0.5, 0.7):
            m = p0 + (p1 - p0) * t
            a, b = at(m + normal * delta), at(m - normal * delta)
            if a is not None and b is not None:
                refs.append(float(np.linalg.norm(a - b)))
    out = np.ones(4)
    if len(refs) < 4:
        return out
    ref = max(float(np.median(refs)), 6.0)
    centre = quad.mean(axis=0)
    for i in range(4):
        u = quad[i] - centre
        u /= np.linalg.norm(u) + 1e-9
        # Three pairs at 0.75, 1 and 1.25 delta: one pixel pair is at the mercy of print or noise.
        dists = []
        for f in (0.75, 1.0, 1.25):
            inside, outside = at(quad[i] - u * delta * f), at(quad[i] + u * delta * f)
            if inside is not None and outside is not None:
                dists.append(float(np.linalg.norm(inside - outside)))
        if dists:
            out[i] = min(1.0, float(np.mean(dists)) / ref)
    return out


def _ring_like_desk(
    ycc: np.ndarray, mag: np.ndarray, thresh: float, inner: np.ndarray, outer: np.ndarray
) -> bool:
    """True when the ring between a winner and an outline enclosing it looks like the desk just
    outside that outline: same mean colour and the same dense texture. On a checkered desk the
    squares' edges line up into rectangles around a card; the ring between a document's own
    rectangle (photo, band) and its border is paper, unlike the desk."""
    h, w = mag.shape
    outer_mask = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(outer_mask, np.round(outer).astype(np.int32), 1)
    ring = outer_mask.copy()
    cv2.fillConvexPoly(ring, np.round(inner).astype(np.int32), 0)
    band = cv2.dilate(outer_mask, np.ones((9, 9), np.uint8)) - outer_mask
    if cv2.countNonZero(ring) < 50 or cv2.countNonZero(band) < 50:
        return False
    textured = (mag > thresh).astype(np.uint8)
    ring_texture = cv2.mean(textured, ring)[0]
    band_texture = cv2.mean(textured, band)[0]
    if min(ring_texture, band_texture) < 0.15:
        return False  # blank paper or a plain desk: colour alone cannot tell
    a, b = np.array(cv2.mean(ycc, ring)[:3]), np.array(cv2.mean(ycc, band)[:3])
    colour = float(np.abs((a - b) * [1.0, 2.0, 2.0]).max())
    return colour < 12.0 and 0.6 < ring_texture / band_texture < 1.6


def _thresh(ycc: np.ndarray) -> float:
    """Edge threshold for scoring and for the low-contrast Canny: 16 on a normally lit frame,
    proportionally lower on a dark one (mean luma below 110), never below 8. An under-exposed
    card's border is as weak as the print inside it; a fixed threshold lost it to the header
    band (a dark passport on a white desk went from IoU 0.14 to 0.99)."""
    mean_y = float(cv2.mean(ycc)[0])
    return float(np.clip(16.0 * mean_y / 110.0, 8.0, 16.0))


def detect_document(frame: np.ndarray, small: np.ndarray | None = None) -> Detection | None:
    """Find the most document-like quadrilateral in a validated BGR frame, or None.

    ``small``: the frame already downscaled to WORK_WIDTH (callers that need it anyway pass it).
    """
    if small is None:
        small, scale = _small(frame)
    else:
        scale = small.shape[1] / frame.shape[1]
    ycc = cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb)
    gx, gy, mag = _gradients(ycc)
    thresh = _thresh(ycc)
    best, best_rank, best_support = None, 0.0, 0.0
    scored: list[tuple[np.ndarray, float]] = []
    # Near-duplicates (corners within 3 px) come from several cues: all are scored and the best
    # one competes (a sloppier copy found first used to hide the true outline); the enclosing-
    # outline test below keeps one per group, the first found.
    blown = _blown(ycc, mag, thresh)
    washed = float(blown.mean()) >= _WASHED
    cands, bridged = _candidates(small, ycc, mag, gx, gy, thresh, washed)
    all_scores = _score_all(cands, mag, gx, gy, thresh, blown if washed else None)
    unique: list[np.ndarray] = []
    for q, (support, size), extrapolated in zip(cands, all_scores, bridged, strict=True):
        if support >= 0.45 and support * size > best_rank:
            best, best_rank, best_support = q, support * size, support
        if extrapolated:  # not evidence of an enclosing outline (see below)
            continue
        if not any(np.abs(q - u).max() < 3.0 for u in unique):
            unique.append(q)
            scored.append((q, support))
    if best is None:
        return None
    # A document contains its own rectangles (an ID card's header band, photo, text block), often
    # with crisper edges than the document's border on a busy desk: if a well-supported outline
    # encloses the winner, the enclosing one is the document.
    sh, sw = small.shape[:2]
    best_on_border = bool(_border_sides(best, sw, sh)) or not _in_frame(best, sw, sh)
    if best_on_border:
        # The frame border (or the space beyond it) supports a side for free, so a wedge of
        # textured desk reaching the border can outrank a whole page inside it: a clearly better
        # supported outline that fills much of the winner and is entirely in view wins instead.
        best_area = area(best)
        for q, support in scored:
            if (
                support >= best_support + 0.05
                and area(q) >= 0.25 * best_area
                and _in_frame(q, sw, sh)
                and not _border_sides(q, sw, sh)
            ):
                best, best_support, best_on_border = q, support, False
                break
    best_area = area(best)
    for q, support in sorted(scored, key=lambda x: -area(x[0])):
        qa = area(q)
        if (
            qa <= best_area * 1.02
            or qa > best_area * 2.5
            or support < max(0.6, 0.75 * best_support)
            # A side on the frame border is support for free: a region reaching from a whole
            # document to the border is desk, not a bigger document.
            or (not best_on_border and _border_sides(q, sw, sh))
        ):
            continue
        poly = q.astype(np.float32).reshape(-1, 1, 2)
        if all(
            cv2.pointPolygonTest(poly, (float(x), float(y)), True) > -1.5 for x, y in best
        ) and not _ring_like_desk(ycc, mag, thresh, best, q):
            best, best_support = q, support
            break
    # Straighten the polygon approximation on the small image first: extension needs true side
    # directions to test parallel edges.
    straight = _refine(small, best, radius=3.0)
    if is_convex(straight):
        best = straight

    def at_border(quad: np.ndarray) -> bool:
        return bool(
            (
                (quad[:, 0] < 2) | (quad[:, 0] > sw - 3) | (quad[:, 1] < 2) | (quad[:, 1] > sh - 3)
            ).any()
        )

    leaked = at_border(best)
    best = _extend(best, mag, gx, gy, thresh, ycc)
    touches = at_border(best)
    coarse = (best + 0.5) / scale - 0.5
    # Two refinement passes: wide (coarse error ~1 small px), then narrow for precision.
    refined = _refine(frame, coarse, radius=2.0 / scale + 2, prior=1.0 / scale)
    refined = _refine(frame, refined, radius=4.0)
    if not is_convex(refined):
        refined = coarse
    refined = order_corners(refined)
    if touches and leaked:
        # The region reached the border before any band extension: believe it only if the refined
        # outline still ends near the border (a region that leaked into clutter next to the
        # document is pulled back onto the document's own edge by the refinement).
        fh, fw = frame.shape[:2]
        gap = min(
            float(refined[:, 0].min()),
            float(refined[:, 1].min()),
            fw - 1 - float(refined[:, 0].max()),
            fh - 1 - float(refined[:, 1].max()),
        )
        touches = gap < 4.0 / scale + 2
    support = _corner_support(frame, refined)
    contrast = _corner_contrast(ycc, (refined + 0.5) * scale - 0.5)
    sigma = _border_blur(frame, refined)
    corner_blown = np.zeros(4, bool)
    if washed:
        # Blown-out white all around the corner (a 5x5 patch on the coarse image).
        area_blown = cv2.blur(blown.astype(np.float32), (5, 5))
        cs = np.round((refined + 0.5) * scale - 0.5).astype(int)
        bh, bw = blown.shape
        for k, (x, y) in enumerate(cs):
            if 0 <= x < bw and 0 <= y < bh:
                corner_blown[k] = area_blown[y, x] >= 0.4
    return Detection(refined, best_support, touches, support, sigma, scale, contrast, corner_blown)


def _border_blur(frame: np.ndarray, quad: np.ndarray) -> float:
    """Blur of the document's outline: the 2nd-largest per-side median sigma (catches motion blur,
    which spreads only the sides across the motion, while tolerating one side next to clutter)."""
    h, w = frame.shape[:2]
    side_sigmas = []
    all_pts, all_strength, all_sigma, all_valid = _edge_points(
        frame, *_sides(quad), 12.0, 24, 0.15, 0.85
    )
    for i in range(4):
        pts, strength, sigma, valid = all_pts[i], all_strength[i], all_sigma[i], all_valid[i]
        inside = (pts[:, 0] > 14) & (pts[:, 0] < w - 15) & (pts[:, 1] > 14) & (pts[:, 1] < h - 15)
        ok = valid & inside & (strength > 1.5)
        if ok.sum() >= 6:
            side_sigmas.append(float(np.median(sigma[ok])))
    if len(side_sigmas) < 2:
        return float("nan")
    side_sigmas.sort()
    return side_sigmas[-2]
