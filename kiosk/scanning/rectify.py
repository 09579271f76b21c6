"""Perspective correction of a detected document to its real aspect ratio and resolution."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from kiosk.scanning.geometry import order_corners, side_lengths
from kiosk.scanning.types import DocumentKind, FrameError, validate_frame

MM_PER_INCH = 25.4


def output_size(kind: DocumentKind, landscape: bool) -> tuple[int, int]:
    """(width, height) in px of the rectified image for a document kind and orientation."""
    short_mm, long_mm = kind.size_mm
    short = round(short_mm / MM_PER_INCH * kind.dpi)
    long = round(long_mm / MM_PER_INCH * kind.dpi)
    return (long, short) if landscape else (short, long)


def rectify(
    frame_bgr: np.ndarray, corners: Sequence[Sequence[float]] | np.ndarray, kind: DocumentKind
) -> np.ndarray:
    """Warp the quad ``corners`` of ``frame_bgr`` to a flat, upright image of the document.

    Output size is the real format at the kind's resolution (cards and passports 300 dpi, pages
    200 dpi: A4 portrait is 1654×2339). Portrait or landscape follows the quad's own proportions,
    so a card held upright comes out upright. Corners are (x, y) in frame pixels, any order.
    """
    frame = validate_frame(frame_bgr)
    quad = np.asarray(corners, dtype=np.float64)
    if quad.shape != (4, 2) or not np.isfinite(quad).all():
        raise FrameError(f"corners must be 4 (x, y) points, got shape {quad.shape}")
    quad = order_corners(quad)
    horizontal, vertical = side_lengths(quad)
    if min(horizontal, vertical) < 4:
        raise FrameError("document outline is degenerate (a side shorter than 4 px)")
    w, h = output_size(kind, landscape=horizontal > vertical)
    # Pixel-centre convention: the outline is the outer boundary of the page, at -0.5 and size-0.5.
    dst = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    hmat = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(
        frame, hmat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
