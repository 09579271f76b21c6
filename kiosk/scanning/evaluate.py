"""Accuracy of the capture engine on the labelled corpus, beside the plain-OpenCV baseline.

    python -m kiosk.scanning.evaluate [--count N] [--seed S]

Prints per problem code precision and recall, outline IoU, share of frames whose outline is
correct (IoU > 0.9 and worst corner error < 1.7 % of the document's perimeter), and the false
rejection rate on good frames (a good frame the engine would not capture). Mean IoU is also given
without the frames in which over-exposure erased the whole border (page and desk clipped to the
same white, where the right answer is GLARE, not an outline); the first figure counts them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.scanning.baseline import baseline_assess
from kiosk.scanning.corpus import generate
from kiosk.scanning.geometry import iou, max_corner_error, perimeter
from kiosk.scanning.quality import assess_frame
from kiosk.scanning.types import Problem

CHECKED = (
    Problem.NO_DOCUMENT,
    Problem.TOO_FAR,
    Problem.CUT_OFF,
    Problem.TILTED,
    Problem.TOO_DARK,
    Problem.GLARE,
    Problem.BLURRED,
)


@dataclass
class Tally:
    tp: dict[Problem, int] = field(default_factory=lambda: defaultdict(int))
    fp: dict[Problem, int] = field(default_factory=lambda: defaultdict(int))
    fn: dict[Problem, int] = field(default_factory=lambda: defaultdict(int))
    ious: list[float] = field(default_factory=list)
    # Whether any of the document's border is visible in the frame, per outline measured.
    visible: list[bool] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    by_background: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    by_condition: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    good_total: int = 0
    good_rejected: int = 0
    seconds: float = 0.0

    def add(self, expected: set[Problem], got: set[Problem]) -> None:
        for p in CHECKED:
            if p in expected and p in got:
                self.tp[p] += 1
            elif p in got:
                self.fp[p] += 1
            elif p in expected:
                self.fn[p] += 1

    def precision(self, p: Problem) -> float:
        d = self.tp[p] + self.fp[p]
        return self.tp[p] / d if d else float("nan")

    def recall(self, p: Problem) -> float:
        d = self.tp[p] + self.fn[p]
        return self.tp[p] / d if d else float("nan")


def _outline(
    tally: Tally, quad: np.ndarray | None, truth: np.ndarray, background: str, visible: bool
) -> None:
    if quad is None:
        j, ok = 0.0, False
    else:
        j = iou(quad, truth)
        ok = j > 0.9 and max_corner_error(quad, truth) < 0.017 * perimeter(truth)
    tally.ious.append(j)
    tally.visible.append(visible)
    tally.correct.append(ok)
    tally.by_background[background].append(ok)


def run(count: int, seed: int) -> tuple[Tally, Tally, int]:
    cv2.setNumThreads(1)
    engine, base = Tally(), Tally()
    for s in generate(count, seed):
        expected = set(s.expected)
        truth = np.asarray(s.corners)
        t = time.perf_counter()
        a = assess_frame(s.frame)
        engine.seconds += time.perf_counter() - t
        t = time.perf_counter()
        bquad, bprob = baseline_assess(s.frame)
        base.seconds += time.perf_counter() - t
        engine.add(expected, set(a.problems))
        base.add(expected, bprob)
        if expected:
            engine.by_condition[s.condition].append(expected <= set(a.problems))
            base.by_condition[s.condition].append(expected <= bprob)
        if s.whole_in_view:
            visible = s.border_visible() > 0
            quad = None if a.document is None else np.asarray(a.document)
            _outline(engine, quad, truth, s.background, visible)
            _outline(base, bquad, truth, s.background, visible)
        if s.condition == "good":
            engine.good_total += 1
            base.good_total += 1
            engine.good_rejected += not a.ok
            base.good_rejected += bool(bprob)
    return engine, base, count


def _fmt(x: float) -> str:
    return "   -  " if x != x else f"{x:6.3f}"


def report(engine: Tally, base: Tally, count: int, seed: int, out=sys.stdout) -> None:
    w = out.write
    w(f"Capture engine vs plain-OpenCV baseline — {count} frames 1280×720, seed {seed}\n\n")
    w(
        f"{'problem':<12} {'support':>7}  {'precision':>9} {'(base)':>7}  "
        f"{'recall':>7} {'(base)':>7}\n"
    )
    for p in CHECKED:
        support = engine.tp[p] + engine.fn[p]
        w(
            f"{p.value:<12} {support:>7}  {_fmt(engine.precision(p)):>9} "
            f"{_fmt(base.precision(p)):>7}  "
            f"{_fmt(engine.recall(p)):>7} {_fmt(base.recall(p)):>7}\n"
        )
    w("\nexpected code reported, by degradation\n")
    for cond in sorted(engine.by_condition):
        hits = engine.by_condition[cond]
        w(
            f"  {cond:<12} {len(hits):>4}   {np.mean(hits):6.1%}   baseline "
            f"{np.mean(base.by_condition[cond]):6.1%}\n"
        )
    w("\noutline (frames with the whole document in view, finger-occluded included)\n")
    w(
        f"  mean IoU                 {np.mean(engine.ious):.4f}   "
        f"baseline {np.mean(base.ious):.4f}\n"
    )
    seen = np.array(engine.visible)
    w(
        f"  mean IoU, border visible {np.mean(np.array(engine.ious)[seen]):.4f}   "
        f"baseline {np.mean(np.array(base.ious)[seen]):.4f}   "
        f"({int((~seen).sum())} frames whose border over-exposure erased left out)\n"
    )
    w(
        f"  frames correct           {np.mean(engine.correct):6.1%}   "
        f"baseline {np.mean(base.correct):6.1%}\n"
    )
    for bg in sorted(engine.by_background):
        w(
            f"    {bg:<20} {np.mean(engine.by_background[bg]):6.1%}   baseline "
            f"{np.mean(base.by_background[bg]):6.1%}\n"
        )
    fr = engine.good_rejected / max(engine.good_total, 1)
    fb = base.good_rejected / max(base.good_total, 1)
    w(f"\nfalse rejection of good frames ({engine.good_total}):  {fr:6.1%}   baseline {fb:6.1%}\n")
    w(
        f"time per frame (incl. everything):  {1000 * engine.seconds / count:.1f} ms   baseline "
        f"{1000 * base.seconds / count:.1f} ms\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=300, help="frames to generate (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    engine, base, count = run(args.count, args.seed)
    report(engine, base, count, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
