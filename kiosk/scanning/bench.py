"""Timings of the capture engine on one core, each beside the plain-OpenCV baseline.

    python -m kiosk.scanning.bench [--repeat N]

assess_frame vs baseline (Canny + approxPolyDP + Laplacian + mean), decode_qr with and without a
code vs one plain zxing call on the full frame, encode_jpeg of a rectified A4 page vs a plain
quality loop (95, 90, ... until it fits).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import cv2
import numpy as np
import zxingcpp

from kiosk.scanning import render
from kiosk.scanning.baseline import baseline_assess
from kiosk.scanning.corpus import make_sample
from kiosk.scanning.encode import encode_jpeg
from kiosk.scanning.qr import decode_qr
from kiosk.scanning.quality import assess_frame
from kiosk.scanning.rectify import rectify
from kiosk.scanning.types import DocumentKind


def _time(
    fn: Callable[[np.ndarray], object], frames: list[np.ndarray], repeat: int
) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        for f in frames:
            t = time.perf_counter()
            fn(f)
            times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def _plain_zxing(frame: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)]


def _plain_jpeg(image: np.ndarray, max_bytes: int = 1_000_000) -> bytes:
    for q in range(95, 20, -5):
        _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, q])
        if len(buf) <= max_bytes:
            return buf.tobytes()
    return buf.tobytes()


def _qr_frames(size: tuple[int, int], n: int) -> list[np.ndarray]:
    w, h = size
    rng = np.random.default_rng(5)
    frames = []
    for i in range(n):
        bg = render.background(("wood", "cluttered", "light")[i % 3], h, w, rng)
        doc = (
            render.phone_with_qr(f"IESS-TURNO-DEMO-{i:04d}")
            if i % 2
            else render.confirmation_sheet(f"T-{i}")
        )
        s = h * 0.7 / doc.shape[0]
        dw, dh = doc.shape[1] * s, doc.shape[0] * s
        x0, y0 = rng.uniform(0.05, 0.9) * (w - dw), rng.uniform(0.1, 0.9) * (h - dh)
        quad = np.array(
            [[x0, y0], [x0 + dw, y0 + 8], [x0 + dw - 6, y0 + dh], [x0 + 4, y0 + dh - 5]]
        )
        frames.append(render.place(bg, doc, quad))
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    print("one core (cv2.setNumThreads(1)); median / p95 ms per call\n")
    print(f"{'':<34} {'engine':>16} {'baseline':>16}")
    for size in ((1280, 720), (1920, 1080)):
        frames = [make_sample(i, 99, size).frame for i in range(12)]
        qr = _qr_frames(size, 6)
        rows = [
            (
                "assess_frame",
                _time(assess_frame, frames, args.repeat),
                _time(baseline_assess, frames, args.repeat),
            ),
            (
                "decode_qr, frame with a code",
                _time(decode_qr, qr, args.repeat),
                _time(_plain_zxing, qr, args.repeat),
            ),
            (
                "decode_qr, frame without",
                _time(decode_qr, frames, args.repeat),
                _time(_plain_zxing, frames, args.repeat),
            ),
        ]
        for name, eng, base in rows:
            print(
                f"{name + f' {size[0]}×{size[1]}':<34} {eng[0]:7.2f} / {eng[1]:6.2f} "
                f"{base[0]:7.2f} / {base[1]:6.2f}"
            )
    # A rectified A4 page at 200 dpi with realistic sensor grain (clean synthetic pages compress
    # too well to exercise the size search).
    s = make_sample(0, 7, (1920, 1080), condition="good", kind="letter")
    page = rectify(s.frame, s.corners, DocumentKind.A4)
    grain = np.random.default_rng(1).normal(0, 6, page.shape).astype(np.float32)
    page = np.clip(page.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    eng = _time(encode_jpeg, [page], max(args.repeat, 3))
    base = _time(_plain_jpeg, [page], max(args.repeat, 3))
    size_eng, size_base = len(encode_jpeg(page)), len(_plain_jpeg(page))
    print(
        f"{'encode_jpeg A4 1654×2339 ≤ 1 MB':<34} {eng[0]:7.2f} / {eng[1]:6.2f} "
        f"{base[0]:7.2f} / {base[1]:6.2f}"
    )
    print(f"  bytes: engine {size_eng}, baseline {size_base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
