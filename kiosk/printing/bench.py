"""Receipt rendering benchmark: `python -m kiosk.printing.bench [n]`.

Figures are compared in the same run with baselines: the identical layout drawn with the PDF
standard fonts (no TTF subsetting/embedding), and the cold first render of a fresh process
(imports, font registration). Target (DESIGN.md §7): receipt PDF median <= 50 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from kiosk.domain.ports import Receipt

TARGET_MS = 50.0

_COLD = """
import time
t = time.perf_counter()
from kiosk.printing.receipt import render_receipt_pdf
from kiosk.printing.samples import sample_receipt
render_receipt_pdf(sample_receipt())
print((time.perf_counter() - t) * 1000)
"""


def _timings(fn: Callable[[int], object], n: int) -> dict[str, float]:
    fn(-1)  # warm-up: not part of the figures
    samples = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
    }


def bench_receipt(n: int = 100, *, cold: bool = True) -> dict[str, object]:
    """Median/p95 milliseconds to render one full receipt (every block, QR included)."""
    from kiosk.printing.escpos_printer import render_receipt_escpos
    from kiosk.printing.fonts import STANDARD
    from kiosk.printing.receipt import layout_receipt, layout_to_pdf, render_receipt_pdf
    from kiosk.printing.samples import sample_receipt

    # A different ticket number and status URL each time: no cache (QR matrix, text widths)
    # makes a repeated receipt look faster than a real stream of citizens.
    receipts = [
        sample_receipt(
            ticket_number=f"GD-{i:03d}", status_url=f"https://turnos.iess.gob.ec/t/{i:08X}"
        )
        for i in range(-1, n)
    ]

    def receipt_for(i: int) -> Receipt:
        return receipts[(i + 1) % len(receipts)]

    results: dict[str, object] = {"n": n, "target_ms": TARGET_MS}
    results["roll80"] = _timings(lambda i: render_receipt_pdf(receipt_for(i), paper="roll80"), n)
    results["a4"] = _timings(lambda i: render_receipt_pdf(receipt_for(i), paper="a4"), n)
    results["baseline_standard_fonts_roll80"] = _timings(
        lambda i: layout_to_pdf(layout_receipt(receipt_for(i), paper="roll80", fonts=STANDARD)), n
    )
    results["escpos_raster"] = _timings(
        lambda i: render_receipt_escpos(receipt_for(i)), max(5, n // 5)
    )
    results["escpos_text"] = _timings(
        lambda i: render_receipt_escpos(receipt_for(i), mode="text"), max(5, n // 5)
    )
    if cold:
        out = subprocess.run(
            [sys.executable, "-c", _COLD], capture_output=True, text=True, check=True
        )
        results["baseline_cold_first_render_ms"] = round(float(out.stdout.strip()), 2)
    roll = results["roll80"]
    assert isinstance(roll, dict)
    results["meets_target"] = roll["median_ms"] <= TARGET_MS
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 100
    results = bench_receipt(n)
    print(f"receipt PDF rendering, n={n} (target: median <= {TARGET_MS:.0f} ms)")
    for key in ("roll80", "a4", "baseline_standard_fonts_roll80", "escpos_raster", "escpos_text"):
        fig = results[key]
        assert isinstance(fig, dict)
        print(f"  {key:32s} median {fig['median_ms']:8.2f} ms   p95 {fig['p95_ms']:8.2f} ms")
    if "baseline_cold_first_render_ms" in results:
        cold_ms = results["baseline_cold_first_render_ms"]
        print(f"  {'baseline_cold_first_render':32s} {cold_ms:8.2f} ms")
    print(f"  meets target: {results['meets_target']}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
