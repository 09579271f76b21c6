"""Auto-capture timing: wait until the outline has been still for a moment, then fire once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.scanning.geometry import perimeter
from kiosk.scanning.types import FrameAssessment, QualityThresholds


@dataclass(frozen=True)
class StabilityState:
    """``steady``: outline still for long enough; ``ready``: True exactly once per document, on the
    frame where auto-capture should happen; ``held_for``: seconds the outline has been still."""

    steady: bool
    ready: bool
    held_for: float


class StabilityTracker:
    """Feed it every assessment with its timestamp (seconds, monotonic).

    Says "hold still" (steady=False) until the document's corners have moved less than
    ``max_motion`` × perimeter between consecutive good frames for ``steady_seconds``; then returns
    ready=True once. A frame with problems, a lost document or a jump to another position (a new
    document) resets it; after capture it stays quiet until the document changes or ``reset()``.
    """

    def __init__(
        self,
        thresholds: QualityThresholds | None = None,
        *,
        steady_seconds: float | None = None,
        max_motion: float | None = None,
    ) -> None:
        thr = thresholds or QualityThresholds()
        self.steady_seconds = thr.steady_seconds if steady_seconds is None else steady_seconds
        self.max_motion = thr.max_motion if max_motion is None else max_motion
        self.reset()

    def reset(self) -> None:
        self._since: float | None = None
        self._last: np.ndarray | None = None
        self._anchor: np.ndarray | None = None
        self._fired = False

    def update(self, assessment: FrameAssessment, timestamp: float) -> StabilityState:
        blocking = [p for p in assessment.problems if p.value != "not_steady"]
        if assessment.document is None or blocking:
            if assessment.document is None:
                self._fired = False  # document removed: the next one may be captured
                self._anchor = None
            self._since, self._last = None, None
            return StabilityState(False, False, 0.0)
        corners = np.asarray(assessment.document, dtype=np.float64)
        size = max(perimeter(corners), 1.0)
        if (
            self._anchor is not None
            and np.linalg.norm(corners - self._anchor, axis=1).max() > 0.05 * size
        ):
            self._fired = False  # moved far: a different document or a new placement
            self._anchor = None
        moved = (
            self._last is None
            or np.linalg.norm(corners - self._last, axis=1).max() > self.max_motion * size
        )
        self._last = corners
        if moved or self._since is None:
            self._since = timestamp
        held = timestamp - self._since
        steady = held >= self.steady_seconds
        ready = steady and not self._fired
        if ready:
            self._fired = True
            self._anchor = corners
        return StabilityState(steady, ready, held)
