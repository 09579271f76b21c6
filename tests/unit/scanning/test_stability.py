from __future__ import annotations

from kiosk.scanning import FrameAssessment, Problem, StabilityTracker

QUAD = ((100.0, 100.0), (500.0, 100.0), (500.0, 400.0), (100.0, 400.0))


def _a(dx: float = 0.0, problems: tuple[Problem, ...] = ()) -> FrameAssessment:
    quad = tuple((x + dx, y) for x, y in QUAD)
    return FrameAssessment(quad, problems)  # type: ignore[arg-type]


def test_ready_once_after_steady_period() -> None:
    tr = StabilityTracker(steady_seconds=0.6)
    states = [tr.update(_a(), t / 15) for t in range(30)]
    ready = [i for i, s in enumerate(states) if s.ready]
    assert ready == [9]  # 9/15 s = 0.6 s after the first frame
    assert not states[8].steady and states[9].steady and states[20].steady


def test_motion_restarts_the_timer() -> None:
    tr = StabilityTracker(steady_seconds=0.5)
    tr.update(_a(), 0.0)
    tr.update(_a(), 0.4)
    s = tr.update(_a(dx=20), 0.45)  # moved > 0.6 % of the perimeter
    assert not s.steady and s.held_for == 0.0
    assert not tr.update(_a(dx=20), 0.9).ready
    assert tr.update(_a(dx=20), 0.96).ready


def test_small_jitter_is_tolerated() -> None:
    tr = StabilityTracker(steady_seconds=0.3)
    states = [tr.update(_a(dx=0.5 * (i % 2)), i * 0.1) for i in range(5)]
    assert any(s.ready for s in states)


def test_problems_and_document_change_reset() -> None:
    tr = StabilityTracker(steady_seconds=0.2)
    assert not tr.update(_a(problems=(Problem.BLURRED,)), 0.0).steady
    tr.update(_a(), 0.0)
    assert tr.update(_a(), 0.3).ready
    assert not tr.update(_a(), 0.6).ready  # fires once per document
    tr.update(FrameAssessment(None, (Problem.NO_DOCUMENT,)), 0.7)  # document removed
    tr.update(_a(), 0.8)
    assert tr.update(_a(), 1.1).ready  # next document captured again
    tr.update(_a(dx=200), 1.2)  # a jump: a different document
    assert tr.update(_a(dx=200), 1.5).ready
    tr.reset()
    assert not tr.update(_a(dx=200), 1.6).ready
