"""``kiosk-central bench`` runs end to end (tiny settings) and reports a clean JSON line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_smoke() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.central",
            "bench",
            "--json",
            "--seconds",
            "1",
            "--kiosks",
            "4",
            "--counters",
            "2",
            "--batch",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["backend"] == "sqlite"
    assert result["checkins_per_s"] > 0 and result["p50_ms"] > 0
    assert result["lost"] == result["duplicated"] == result["double_dispatched"] == 0
    assert {"p99_ms", "baseline_checkins_per_s"} <= result.keys()
