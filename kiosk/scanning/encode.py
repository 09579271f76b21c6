"""JPEG and PDF encoding under the 1 MB upload limit, never below a legibility floor."""

from __future__ import annotations

import io
from collections.abc import Sequence

import cv2
import numpy as np

from kiosk.scanning.types import EncodingError, validate_frame

MIN_QUALITY = 45  # below this JPEG ringing makes small print hard to read
MAX_QUALITY = 95
#: smallest allowed downscale: 0.75 turns 200 dpi pages into the 150 dpi legibility floor.
MIN_SCALE = 0.75


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise EncodingError("the JPEG encoder failed")
    return buf.tobytes()


def _sample(image: np.ndarray) -> np.ndarray:
    """About a quarter of the image as full-resolution horizontal strips: it has the same detail per
    pixel as the whole, so its JPEG size predicts the whole's at a quarter of the cost."""
    h = image.shape[0]
    if h < 256:
        return image
    strip = 16
    rows = np.arange(0, h - strip, strip * 4)
    return np.ascontiguousarray(np.concatenate([image[r : r + strip] for r in rows]))


def _best_quality(image: np.ndarray, max_bytes: int) -> bytes | None:
    """Highest quality whose JPEG fits: predicted on a sample, confirmed on the whole image."""
    data = _jpeg(image, MAX_QUALITY)
    if len(data) <= max_bytes:
        return data
    sample = _sample(image)
    ratio = image.shape[0] / sample.shape[0]
    lo, hi = MIN_QUALITY, MAX_QUALITY - 1
    while lo < hi:  # largest q whose predicted size fits, with a 3 % safety margin
        mid = (lo + hi + 1) // 2
        if len(_jpeg(sample, mid)) * ratio <= max_bytes * 0.97:
            lo = mid
        else:
            hi = mid - 1
    q = lo
    while q >= MIN_QUALITY:
        data = _jpeg(image, q)
        if len(data) <= max_bytes:
            return data
        q -= 4 if q - 4 >= MIN_QUALITY or q == MIN_QUALITY else q - MIN_QUALITY
    return None


def encode_jpeg(
    image: np.ndarray, max_bytes: int = 1_000_000, *, min_scale: float = MIN_SCALE
) -> bytes:
    """Encode ``image`` as the best-quality JPEG of at most ``max_bytes`` bytes.

    Searches the quality first (95 down to 45); only if even that is too big, downscales step by
    step but never below ``min_scale`` of the input (0.75 keeps a 200 dpi page at ≥ 150 dpi).
    Raises EncodingError when no legible encoding fits.
    """
    img = validate_frame(image)
    if max_bytes < 1024:
        raise EncodingError(f"max_bytes={max_bytes} is too small for any legible JPEG")
    scale = 1.0
    while True:
        current = (
            img
            if scale == 1.0
            else cv2.resize(
                img,
                (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                interpolation=cv2.INTER_AREA,
            )
        )
        data = _best_quality(current, max_bytes)
        if data is not None:
            return data
        if scale <= min_scale + 1e-9:
            raise EncodingError(
                f"cannot fit a {img.shape[1]}×{img.shape[0]} image in {max_bytes} bytes without "
                f"going below JPEG quality {MIN_QUALITY} at {min_scale:.0%} size; the image is "
                "probably noise "
                "or the limit is too small"
            )
        scale = max(min_scale, scale * 0.88)


def _pdf(pages: list[tuple[bytes, int, int]], dpi: float) -> bytes:
    """A minimal PDF 1.4 with one full-page DCT (JPEG) image per page."""
    out = io.BytesIO()
    offsets: list[int] = []

    def obj(body: bytes) -> None:
        offsets.append(out.tell())
        out.write(f"{len(offsets)} 0 obj\n".encode() + body + b"\nendobj\n")

    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    n = len(pages)
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(n))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, (jpeg, w, h) in enumerate(pages):
        pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
        page, content, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        obj(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
            f"/Resources << /XObject << /Im{i} {image} 0 R >> >> "
            f"/Contents {content} 0 R >>".encode()
        )
        stream = f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im{i} Do Q".encode()
        obj(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
        assert page + 2 == image
        obj(
            f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB "
            f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
            + jpeg
            + b"\nendstream"
        )
    xref = out.tell()
    out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encode_pdf(
    pages: Sequence[np.ndarray],
    max_bytes: int = 1_000_000,
    *,
    dpi: float = 200.0,
    min_scale: float = MIN_SCALE,
) -> bytes:
    """One PDF with one page per image (JPEG streams), at most ``max_bytes`` bytes in total.

    The byte budget is split evenly between pages after the PDF overhead; each page gets the same
    guarantee as encode_jpeg. ``dpi`` sets the printed page size. Raises EncodingError.
    """
    if not pages:
        raise EncodingError("a PDF needs at least one page")
    images = [validate_frame(p) for p in pages]
    overhead = 600 + 400 * len(images)
    budget = (max_bytes - overhead) // len(images)
    encoded = []
    for img in images:
        jpeg = encode_jpeg(img, budget, min_scale=min_scale)
        decoded_w, decoded_h = _jpeg_size(jpeg)
        encoded.append((jpeg, decoded_w, decoded_h))
    pdf = _pdf(encoded, dpi)
    if len(pdf) > max_bytes:  # cannot happen with the overhead reserve, but never lie about size
        raise EncodingError(f"PDF is {len(pdf)} bytes, over the {max_bytes} limit")
    return pdf


def _jpeg_size(jpeg: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF header."""
    i = 2
    while i < len(jpeg) - 9:
        if jpeg[i] != 0xFF:
            i += 1
            continue
        marker = jpeg[i + 1]
        length = int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            h = int.from_bytes(jpeg[i + 5 : i + 7], "big")
            w = int.from_bytes(jpeg[i + 7 : i + 9], "big")
            return w, h
        i += 2 + length
    raise EncodingError("JPEG without a frame header")
