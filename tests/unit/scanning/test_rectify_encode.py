from __future__ import annotations

import io

import cv2
import numpy as np
import pypdf
import pytest

from kiosk.scanning import (
    DocumentKind,
    EncodingError,
    FrameError,
    encode_jpeg,
    encode_pdf,
    rectify,
    render,
)
from kiosk.scanning.corpus import Sample

from .conftest import sample


@pytest.mark.parametrize(
    ("kind", "portrait_size"),
    [
        (DocumentKind.A4, (1654, 2339)),
        (DocumentKind.LETTER, (1700, 2200)),
        (DocumentKind.ID_CARD, (638, 1011)),
        (DocumentKind.PASSPORT, (1039, 1476)),
    ],
)
def test_output_size_and_orientation(kind: DocumentKind, portrait_size: tuple[int, int]) -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)
    portrait = [(500, 100), (800, 100), (800, 600), (500, 600)]
    landscape = [(300, 200), (900, 200), (900, 500), (300, 500)]
    assert rectify(frame, portrait, kind).shape[:2] == (portrait_size[1], portrait_size[0])
    assert rectify(frame, landscape, kind).shape[:2] == (portrait_size[0], portrait_size[1])


def test_rectified_content_matches_the_original_document(good_sample: Sample) -> None:
    page = rectify(good_sample.frame, good_sample.corners, DocumentKind.A4)
    original = render.document("letter", 0)
    # Same layout: compare at a common small size (the render seed only changes the signature).
    a = cv2.cvtColor(cv2.resize(page, (150, 212), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    b = cv2.cvtColor(
        cv2.resize(original, (150, 212), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    corr = np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1]
    assert corr > 0.8
    shuffled = np.corrcoef(a.ravel().astype(float), np.flipud(b).ravel().astype(float))[0, 1]
    assert shuffled < corr - 0.3


def test_corners_in_any_order_and_bad_corners() -> None:
    s = sample("good", kind="id_card")
    c = list(s.corners)
    a = rectify(s.frame, c, DocumentKind.ID_CARD)
    b = rectify(s.frame, [c[2], c[0], c[3], c[1]], DocumentKind.ID_CARD)
    assert np.array_equal(a, b)
    with pytest.raises(FrameError):
        rectify(s.frame, [(0, 0), (1, 1)], DocumentKind.A4)
    with pytest.raises(FrameError):
        rectify(s.frame, [(0, 0), (1, 0), (1, 1), (0, 1)], DocumentKind.A4)


def _grainy_page(sigma: float = 12.0) -> np.ndarray:
    s = sample("good", kind="letter")
    page = rectify(s.frame, s.corners, DocumentKind.A4)
    grain = np.random.default_rng(0).normal(0, sigma, page.shape)
    return np.clip(page + grain, 0, 255).astype(np.uint8)


def test_jpeg_fits_and_keeps_full_resolution_when_possible() -> None:
    page = _grainy_page()
    data = encode_jpeg(page, 1_000_000)
    assert len(data) <= 1_000_000
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == page.shape
    # "best quality that fits": one quality step up must not fit (or we are at the top).
    higher = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    assert len(higher) > 1_000_000 or len(data) == len(higher)


def test_jpeg_downscales_but_not_below_the_floor() -> None:
    page = _grainy_page(30.0)
    data = encode_jpeg(page, 300_000)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert len(data) <= 300_000
    assert img.shape[0] >= round(page.shape[0] * 0.75) - 1
    with pytest.raises(EncodingError, match="cannot fit"):
        encode_jpeg(page, 40_000)


def test_pdf_pages_and_limit() -> None:
    page = _grainy_page()
    card = rectify(sample("good").frame, sample("good").corners, DocumentKind.ID_CARD)
    pdf = encode_pdf([page, card], 1_000_000)
    assert len(pdf) <= 1_000_000 and pdf.startswith(b"%PDF-1.4")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    w_pt = float(reader.pages[0].mediabox.width)
    assert abs(w_pt - 1654 * 72 / 200) < 1.0  # 210 mm
    with pytest.raises(EncodingError):
        encode_pdf([], 1_000_000)
