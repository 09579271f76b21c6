"""The benchmark command runs and prints its figures beside a baseline (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys


def test_receipt_bench_prints_figures_and_baseline() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kiosk.bench", "receipt"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "roll80" in out.stdout and "median" in out.stdout
    assert "baseline_standard_fonts_roll80" in out.stdout


def test_unknown_bench_prints_usage() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kiosk.bench", "nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "startup" in out.stdout
