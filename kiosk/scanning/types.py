"""Value types shared by the capture engine: problem codes, thresholds, assessments, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]


class FrameError(ValueError):
    """A frame that cannot be analysed (None, empty, tiny, wrong shape or dtype)."""


class EncodingError(ValueError):
    """The image cannot be encoded under the size limit without becoming illegible."""


class Problem(StrEnum):
    """What is wrong with a frame, in the order a citizen should fix it (see PROBLEM_ORDER)."""

    NO_DOCUMENT = "no_document"
    TOO_FAR = "too_far"
    CUT_OFF = "cut_off"
    TILTED = "tilted"
    TOO_DARK = "too_dark"
    GLARE = "glare"
    BLURRED = "blurred"
    NOT_STEADY = "not_steady"


# Most important first: framing problems before lighting before sharpness, because fixing the
# framing usually changes the others.
PROBLEM_ORDER: tuple[Problem, ...] = (
    Problem.NO_DOCUMENT,
    Problem.CUT_OFF,
    Problem.TOO_FAR,
    Problem.TOO_DARK,
    Problem.GLARE,
    Problem.BLURRED,
    Problem.TILTED,
    Problem.NOT_STEADY,
)


class DocumentKind(StrEnum):
    """Physical document formats with their real size (mm) and the output resolution (dpi)."""

    ID_CARD = "id_card"
    PASSPORT = "passport"
    A4 = "a4"
    LETTER = "letter"

    @property
    def size_mm(self) -> tuple[float, float]:
        """(short side, long side) in millimetres."""
        return _SIZES_MM[self]

    @property
    def dpi(self) -> int:
        return 300 if self in (DocumentKind.ID_CARD, DocumentKind.PASSPORT) else 200


_SIZES_MM: dict[DocumentKind, tuple[float, float]] = {
    DocumentKind.ID_CARD: (54.0, 85.6),
    DocumentKind.PASSPORT: (88.0, 125.0),
    DocumentKind.A4: (210.0, 297.0),
    DocumentKind.LETTER: (215.9, 279.4),
}


@dataclass(frozen=True)
class QualityThresholds:
    """Limits that decide each problem code; defaults tuned on kiosk.scanning.corpus.

    Staff can tune them from the settings screen; all are relative to the frame or the document so
    they hold for any camera resolution.
    """

    #: document area / frame area below which the citizen is asked to come closer.
    min_fill: float = 0.12
    #: a corner closer than this fraction of the frame's short side to the border is "cut off".
    edge_margin: float = 0.008
    #: a corner whose colour contrast with the desk is below this share of the sides' contrast is
    #: hidden (a finger over it) and reported as CUT_OFF.
    min_corner_contrast: float = 0.22
    #: largest deviation (degrees) of a corner angle from 90 before the document is "tilted".
    max_corner_angle_dev: float = 16.0
    #: smallest ratio of opposite side lengths before the document is "tilted".
    min_side_ratio: float = 0.78
    #: the paper's white level (90th percentile of grey, 0-255) below which the frame is too dark.
    min_white_level: float = 95.0
    #: mean grey of the whole frame below which a frame with no document is reported as dark.
    min_frame_brightness: float = 40.0
    #: fraction of the document's pixels that are clipped white above which we report glare.
    max_glare_fraction: float = 0.012
    #: grey level counted as clipped.
    glare_level: int = 250
    #: fraction of the whole frame clipped white above which the frame is washed out: with no
    #: outline, or too small a one (the page may be lost in the white), the problem is GLARE.
    max_washed_fraction: float = 0.25
    #: blur (Gaussian sigma of the document's border, frame pixels) above which it is blurred.
    max_blur_sigma: float = 1.9
    #: corner movement between consecutive frames (fraction of the perimeter) that is "not steady".
    max_motion: float = 0.006
    #: seconds the outline must stay still before an automatic capture.
    steady_seconds: float = 0.6


@dataclass(frozen=True)
class FrameAssessment:
    """Everything the kiosk needs to guide the citizen for one frame.

    ``document``: corners (top-left, top-right, bottom-right, bottom-left) in frame pixels, or None.
    ``problems``: problem codes, most important first; empty when the frame is good to capture.
    ``sharpness``: 1 / estimated blur sigma in px (higher is sharper; 0 when unknown).
    ``blur_sigma``: estimated Gaussian blur of the document's border in frame pixels.
    ``brightness``: paper white level of the document (or mean of the frame when none), 0-255.
    ``glare_fraction``: share of the document's pixels that are clipped white.
    ``fill_fraction``: document area / frame area.
    ``motion``: corner movement since ``previous`` as a fraction of the perimeter (0 when unknown).
    ``confidence``: detector score of the outline, 0-1.
    """

    document: Quad | None
    problems: tuple[Problem, ...]
    sharpness: float = 0.0
    blur_sigma: float = 0.0
    brightness: float = 0.0
    glare_fraction: float = 0.0
    fill_fraction: float = 0.0
    motion: float = 0.0
    confidence: float = 0.0
    frame_size: tuple[int, int] = (0, 0)
    extras: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ok(self) -> bool:
        """True when a document is found and nothing needs fixing."""
        return self.document is not None and not self.problems

    @property
    def top_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


MIN_FRAME_SIDE = 32


def validate_frame(frame: object) -> np.ndarray:
    """Return ``frame`` as a contiguous uint8 BGR image, or raise FrameError saying why not.

    Accepts grey (2-D or 1 channel), BGRA, 16-bit and float (0-1) frames by converting them;
    rejects None, non-arrays, empty, tiny, wrongly shaped and non-finite frames.
    """
    if frame is None:
        raise FrameError("no frame (None): the camera returned nothing")
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"frame must be a numpy array, not {type(frame).__name__}")
    if frame.size == 0:
        raise FrameError("empty frame")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (3, 4)):
        raise FrameError(f"frame must be H×W grey or H×W×3 BGR, got shape {frame.shape}")
    h, w = frame.shape[:2]
    if min(h, w) < MIN_FRAME_SIDE:
        raise FrameError(f"frame too small ({w}×{h}); need at least {MIN_FRAME_SIDE} px a side")
    if frame.dtype == np.uint8:
        img = frame
    elif frame.dtype == np.uint16:
        img = (frame >> 8).astype(np.uint8)
    elif frame.dtype.kind == "f":
        if not np.isfinite(frame).all():
            raise FrameError("frame contains NaN or infinite values (corrupt)")
        scale = 255.0 if float(frame.max(initial=0.0)) <= 1.0 else 1.0
        img = np.clip(frame * scale, 0, 255).astype(np.uint8)
    elif frame.dtype.kind in "iub":
        img = np.clip(frame, 0, 255).astype(np.uint8)
    else:
        raise FrameError(f"unsupported frame dtype {frame.dtype}")
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    return np.ascontiguousarray(img)
