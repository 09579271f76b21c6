"""The receipt PDF as a printer sees it: text layer, embedded fonts, rendered pixels, QR.

The page is rasterised with poppler's pdftoppm (a different engine from the one that wrote it)
and compared with a committed reference image in tests/golden/. After an intended layout
change, regenerate the references with KIOSK_UPDATE_GOLDEN=1 and look at them before committing.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageChops
from pypdf import PdfReader

from kiosk.printing.receipt import MM, layout_receipt, render_receipt_pdf, render_receipt_png
from kiosk.printing.samples import minimal_receipt, sample_receipt

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
DIFF_DIR = Path(tempfile.gettempdir()) / "kiosk-golden-diffs"
URL = "https://turnos.iess.gob.ec/t/GD042-7F3C2A9E"

# Tolerances. The same poppler renders the same PDF identically (diff 0); another poppler or
# freetype version moves anti-aliased edges by a pixel here and there. One changed digit of
# the ticket number (GD-042 -> GD-043) is mean 0.50 / 0.23 % at 100 dpi: that must fail.
MAX_MEAN_ABS_DIFF = 0.3  # grey levels, 0..255
MAX_DIFFERING_SHARE = 0.0015  # pixels differing by more than 64 grey levels
MAX_BLOCK_DIFFERING = 12  # of the 64 pixels of any 8x8 block: a changed 10 pt digit is ~20


def pdftoppm(pdf: bytes, dpi: int) -> Image.Image:
    exe = shutil.which("pdftoppm")
    if exe is None:
        message = "pdftoppm missing: apt-get install poppler-utils (or run .ci/setup-cups.sh)"
        if os.environ.get("KIOSK_REQUIRE_CUPS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [exe, "-r", str(dpi), "-gray", "-png", "-singlefile", "-", f"{tmp}/page"],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        )
        with Image.open(f"{tmp}/page.png") as page:
            return page.convert("L")


def compare_with_golden(image: Image.Image, name: str) -> None:
    reference_path = GOLDEN / f"{name}.png"
    if os.environ.get("KIOSK_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        image.save(reference_path, optimize=True)
        return
    if not reference_path.exists():
        pytest.fail(f"no reference image {reference_path}; create it with KIOSK_UPDATE_GOLDEN=1")
    reference = Image.open(reference_path).convert("L")
    if reference.size != image.size:
        _save_failure(name, image, None)
        pytest.fail(
            f"{name}: rendered size {image.size} differs from the reference {reference.size} "
            f"(the page height follows the content: did the layout change?). "
            f"Rendered image saved in {DIFF_DIR}; KIOSK_UPDATE_GOLDEN=1 regenerates."
        )
    diff = np.abs(np.asarray(image, dtype=np.int16) - np.asarray(reference, dtype=np.int16))
    mean = float(diff.mean())
    differing = diff > 64
    share = float(differing.mean())
    h, w = (differing.shape[0] // 8) * 8, (differing.shape[1] // 8) * 8
    block = int(differing[:h, :w].reshape(h // 8, 8, w // 8, 8).sum(axis=(1, 3)).max())
    if mean > MAX_MEAN_ABS_DIFF or share > MAX_DIFFERING_SHARE or block > MAX_BLOCK_DIFFERING:
        diff_path = _save_failure(name, image, ImageChops.difference(image, reference))
        pytest.fail(
            f"{name}: differs from {reference_path.name}: mean abs diff {mean:.3f} "
            f"(max {MAX_MEAN_ABS_DIFF}), {share:.3%} of pixels differ (max "
            f"{MAX_DIFFERING_SHARE:.2%}), worst 8x8 block {block}/64 differ (max "
            f"{MAX_BLOCK_DIFFERING}). Diff image: {diff_path}. If the change is intended, "
            f"regenerate with KIOSK_UPDATE_GOLDEN=1 and review the new reference."
        )


def _save_failure(name: str, image: Image.Image, diff: Image.Image | None) -> Path:
    DIFF_DIR.mkdir(parents=True, exist_ok=True)
    image.save(DIFF_DIR / f"{name}.actual.png")
    path = DIFF_DIR / f"{name}.actual.png"
    if diff is not None:
        path = DIFF_DIR / f"{name}.diff.png"
        # Inverted so differences show dark on white.
        ImageChops.invert(diff).save(path)
    return path


def decode_qr(image: Image.Image) -> list[str]:
    # QR only: dense text can look like a 1D barcode to a decoder scanning for every format.
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.fixture(scope="module")
def roll_pdf() -> bytes:
    return render_receipt_pdf(sample_receipt())


def test_text_layer_has_the_ticket_and_spanish_accents(roll_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(roll_pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "GD-042",
        "ATENCIÓN PRIORITARIA",
        "Certificado para atención",
        "Gestión Documental",
        "Posición en la fila: 4",
        "entre 10 y 20 minutos",
        "✓ Cédula de ciudadanía",
        "pendiente de sincronización",
        "Orgánica de",
        URL,
    ):
        assert expected in text, f"{expected!r} not in the PDF text"


def test_fonts_are_embedded_subsets(roll_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(roll_pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendants = font.get("/DescendantFonts")
        descriptor = (
            descendants[0].get_object()["/FontDescriptor"]
            if descendants
            else font.get("/FontDescriptor")
        )
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded.append(str(font["/BaseFont"]))
    assert embedded, "no embedded TrueType font: accents would depend on the printer's fonts"
    assert all("DejaVu" in name or "KioskSans" in name for name in embedded), embedded


def test_roll_page_is_80_mm_wide_and_as_long_as_the_content(roll_pdf: bytes) -> None:
    box = PdfReader(io.BytesIO(roll_pdf)).pages[0].mediabox
    assert float(box.width) == pytest.approx(80 * MM, abs=0.01)
    assert float(box.height) == pytest.approx(
        layout_receipt(sample_receipt()).page_height, abs=0.01
    )
    assert 150 * MM < float(box.height) < 260 * MM  # a receipt, not an A4 sheet


@pytest.mark.parametrize(
    ("name", "pdf_args", "dpi"),
    [
        ("receipt_roll80_full", ("full", "roll80"), 100),
        ("receipt_roll80_minimal", ("minimal", "roll80"), 100),
        ("receipt_a4_full", ("full", "a4"), 50),
    ],
)
def test_rendered_page_matches_the_reference(
    name: str, pdf_args: tuple[str, str], dpi: int
) -> None:
    which, paper = pdf_args
    receipt = sample_receipt() if which == "full" else minimal_receipt()
    image = pdftoppm(render_receipt_pdf(receipt, paper=paper), dpi)  # type: ignore[arg-type]
    compare_with_golden(image, name)


@pytest.mark.parametrize("dpi", [100, 203])
def test_qr_on_the_rendered_pdf_decodes_to_the_status_url(roll_pdf: bytes, dpi: int) -> None:
    # 203 dpi is a thermal head; 100 dpi is a coarse check that the code is not marginal.
    assert decode_qr(pdftoppm(roll_pdf, dpi)) == [URL]


def test_a4_qr_decodes() -> None:
    assert decode_qr(pdftoppm(render_receipt_pdf(sample_receipt(), paper="a4"), 100)) == [URL]


def test_raster_rendition_matches_the_pdf(roll_pdf: bytes) -> None:
    """The PIL drawing (thermal raster, on-screen preview) looks like the PDF poppler draws."""
    from_pdf = pdftoppm(roll_pdf, 203)
    from_pil = Image.open(io.BytesIO(render_receipt_png(sample_receipt(), 203))).convert("L")
    assert abs(from_pdf.width - from_pil.width) <= 1 and abs(from_pdf.height - from_pil.height) <= 1
    size = (min(from_pdf.width, from_pil.width), min(from_pdf.height, from_pil.height))
    a = np.asarray(from_pdf.crop((0, 0, *size)), dtype=np.int16)
    b = np.asarray(from_pil.crop((0, 0, *size)), dtype=np.int16)
    # Same ink in the same places: compare coverage per 4 mm band, not exact anti-aliasing.
    band = 32
    rows = size[1] // band
    ink_a = (255 - a[: rows * band]).reshape(rows, band, -1).mean(axis=(1, 2))
    ink_b = (255 - b[: rows * band]).reshape(rows, band, -1).mean(axis=(1, 2))
    assert np.abs(ink_a - ink_b).max() < 12, "PIL and PDF renditions disagree on the layout"
    assert decode_qr(from_pil) == [URL]


@pytest.mark.parametrize(
    "url",
    [
        "https://turnos.iess.gob.ec/t/A1",
        "https://turnos.iess.gob.ec/t/G6XpCNqdU5m3tJoVGBQsCaD9Tq0R24oGgLOzADEWS",
        "https://turnos.iess.gob.ec/consulta?turno=GD-042&agencia=QUITO-CENTRO&k=" + "x" * 60,
    ],
)
def test_qr_decodes_for_short_and_long_urls_on_the_thermal_raster(url: str) -> None:
    """The fixed QR mask (no best-mask search, for speed) reads at 203 dpi, 1-bit."""
    from kiosk.printing.receipt import render_receipt_image

    image = render_receipt_image(sample_receipt(status_url=url))
    mono = image.point(lambda v: 255 if v >= 150 else 0)
    assert decode_qr(mono) == [url]
