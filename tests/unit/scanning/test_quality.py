from __future__ import annotations

import numpy as np
import pytest

from kiosk.scanning import (
    FrameAssessment,
    Problem,
    QualityThresholds,
    assess_frame,
    instruction_key,
)
from kiosk.scanning.corpus import BACKGROUNDS, KINDS, Sample, make_sample
from kiosk.scanning.geometry import iou, max_corner_error, perimeter

from .conftest import blank, sample


def _accurate(a: FrameAssessment, s: Sample) -> bool:
    if a.document is None:
        return False
    got, truth = np.asarray(a.document), np.asarray(s.corners)
    return iou(got, truth) > 0.98 and max_corner_error(got, truth) < 0.01 * perimeter(truth)


def test_good_frame_is_ok_with_precise_outline(good_sample: Sample) -> None:
    a = assess_frame(good_sample.frame)
    assert a.ok, a.problems
    assert _accurate(a, good_sample)
    assert a.problems == ()
    assert 0.1 < a.fill_fraction < 0.9
    assert a.brightness > 150 and a.glare_fraction < 0.01 and a.sharpness > 0.5


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_outline_on_every_background(background: str) -> None:
    # includes the classic failure: a white page on a light table ("white").
    s = sample("good", background, "letter", index=4)
    a = assess_frame(s.frame)
    assert _accurate(a, s), (background, a.document, s.corners)


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("blurred", Problem.BLURRED),
        ("motion", Problem.BLURRED),
        ("dark", Problem.TOO_DARK),
        ("overexposed", Problem.GLARE),
        ("glare", Problem.GLARE),
        ("cut_off", Problem.CUT_OFF),
        ("too_far", Problem.TOO_FAR),
        ("tilted", Problem.TILTED),
    ],
)
def test_each_degradation_is_reported(condition: str, problem: Problem) -> None:
    a = assess_frame(sample(condition).frame)
    assert problem in a.problems
    assert not a.ok


def test_finger_over_a_corner_mostly_blocks_capture() -> None:
    # Measured weakness: a finger hiding a corner is reported as CUT_OFF only about a third of the
    # time, but most such frames still fail some check, so auto-capture does not fire on them.
    from kiosk.scanning.corpus import KINDS

    blocked = [
        not assess_frame(
            make_sample(
                i, 11, condition="finger", background=BACKGROUNDS[i % 6], kind=KINDS[i % 3]
            ).frame
        ).ok
        for i in range(12)
    ]
    assert sum(blocked) >= 9


def test_no_document_and_dark_empty_frame() -> None:
    a = assess_frame(blank(level=120))
    assert a.problems == (Problem.NO_DOCUMENT,) and a.document is None and not a.ok
    dark = assess_frame(blank(level=10))
    assert dark.problems == (Problem.NO_DOCUMENT, Problem.TOO_DARK)


def test_not_steady_uses_previous_assessment(good_sample: Sample) -> None:
    first = assess_frame(good_sample.frame)
    still = assess_frame(good_sample.frame, previous=first)
    assert Problem.NOT_STEADY not in still.problems and still.motion < 1e-6
    moved = np.roll(good_sample.frame, 25, axis=1)
    a = assess_frame(moved, previous=first)
    assert Problem.NOT_STEADY in a.problems and a.motion > 0.006


def test_thresholds_are_honoured(good_sample: Sample) -> None:
    strict = QualityThresholds(min_fill=0.95)
    assert assess_frame(good_sample.frame, thresholds=strict).problems == (Problem.TOO_FAR,)


@pytest.mark.parametrize("index", [206, 266])
def test_a_small_outline_in_a_washed_out_frame_asks_for_less_light_only(index: int) -> None:
    # Over-exposed passport and letter on a white desk: the page is lost in the white and all
    # that is found is its photo or a block of print. "Move it closer" (and "straighten it",
    # measured on the print) would send the citizen the wrong way; the light comes first.
    s = make_sample(index, 0, background=BACKGROUNDS[index % 6], kind=KINDS[(index // 6) % 3])
    assert s.condition == "overexposed"
    a = assess_frame(s.frame)
    assert a.problems == (Problem.GLARE,)
    assert instruction_key(a) == "capture.glare"
    # With the light right, a small outline is "too far" as before.
    far = sample("too_far", index=3)
    assert Problem.TOO_FAR in assess_frame(far.frame).problems


def test_problems_are_ordered_most_important_first() -> None:
    a = assess_frame(sample("dark", kind="letter", index=7).frame)
    order = [p for p in a.problems]
    from kiosk.scanning.types import PROBLEM_ORDER

    assert order == sorted(order, key=PROBLEM_ORDER.index)


def test_instruction_key(good_sample: Sample) -> None:
    ok = assess_frame(good_sample.frame)
    assert instruction_key(ok) == "capture.hold_still"
    assert instruction_key(ok, steady=True) == "capture.capturing"
    assert instruction_key(ok, captured=True) == "capture.captured"
    assert instruction_key(assess_frame(blank())) == "capture.no_document"
    assert instruction_key(assess_frame(sample("blurred").frame)) == "capture.blurred"
