"""Receipt layout: geometry (nothing outside the printable column), content, languages."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.ports import Receipt
from kiosk.i18n import I18N_DIR, Translator
from kiosk.printing.receipt import (
    MM,
    BoxItem,
    QrItem,
    ReceiptLayout,
    TextItem,
    _width,
    layout_receipt,
    render_receipt_pdf,
    wait_text,
    wrap_text,
)
from kiosk.printing.samples import ECUADOR, minimal_receipt, sample_receipt, technician_receipt

EPS = 0.01  # points


def assert_inside(lay: ReceiptLayout) -> None:
    """Every glyph, box and QR module lies within the content column and the page."""
    left, right = lay.left - EPS, lay.left + lay.content_width + EPS
    for item in lay.items:
        if isinstance(item, TextItem):
            font = lay.fonts.bold if item.bold else lay.fonts.regular
            measured = _width(item.text, font, item.size)
            assert item.x >= left, f"{item.text!r} starts left of the column"
            assert item.x + measured <= right, (
                f"{item.text!r} overflows: ends at {(item.x + measured) / MM:.2f} mm, "
                f"column ends at {right / MM:.2f} mm"
            )
            assert 0 < item.baseline <= lay.page_height
        elif isinstance(item, BoxItem):
            assert item.x >= left and item.x + item.w <= right
            assert item.y >= 0 and item.y + item.h <= lay.page_height
        else:
            assert isinstance(item, QrItem)
            assert item.x >= left and item.x + item.size <= right
            assert item.y + item.size <= lay.page_height


@pytest.mark.parametrize("paper", ["roll80", "a4"])
@pytest.mark.parametrize(
    "receipt",
    [sample_receipt(), minimal_receipt(), technician_receipt("cups:KioskPDF")],
    ids=["full", "minimal", "technician"],
)
def test_nothing_is_drawn_outside_the_printable_width(receipt: Receipt, paper: str) -> None:
    lay = layout_receipt(receipt, paper=paper)  # type: ignore[arg-type]
    assert_inside(lay)


def test_roll_is_80_mm_wide_with_72_mm_printable() -> None:
    lay = layout_receipt(sample_receipt())
    assert lay.page_width == pytest.approx(80 * MM)
    assert lay.content_width == pytest.approx(72 * MM)
    assert lay.left == pytest.approx(4 * MM)


def test_a4_page_is_a4() -> None:
    lay = layout_receipt(sample_receipt(), paper="a4")
    assert (lay.page_width, lay.page_height) == (pytest.approx(210 * MM), pytest.approx(297 * MM))


def test_unknown_paper_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown paper"):
        layout_receipt(sample_receipt(), paper="letter")  # type: ignore[arg-type]


def test_roll_height_follows_the_content() -> None:
    short = layout_receipt(minimal_receipt())
    full = layout_receipt(sample_receipt())
    more_docs = layout_receipt(
        sample_receipt(captured_documents=tuple(f"Documento número {i}" for i in range(12)))
    )
    assert short.page_height < full.page_height < more_docs.page_height
    # The last thing drawn sits just above the bottom margin: no long blank tail on the roll.
    for lay in (short, full, more_docs):
        lowest = max(
            i.baseline
            if isinstance(i, TextItem)
            else i.y + (i.h if isinstance(i, BoxItem) else i.size)
            for i in lay.items
        )
        assert lay.page_height - lowest < 12 * MM


def test_a4_with_too_much_content_falls_back_to_smaller_type_and_stays_one_page() -> None:
    many = sample_receipt(captured_documents=tuple(f"Documento {i}" for i in range(30)))
    lay = layout_receipt(many, paper="a4")
    assert lay.page_height == pytest.approx(297 * MM)
    assert_inside(lay)


def test_long_tramite_name_wraps_onto_several_centred_lines() -> None:
    name = (
        "Solicitud de devolución de aportes personales y fondos de reserva por cesantía "
        "prolongada para afiliados del Seguro Social Campesino y del régimen especial"
    )
    lay = layout_receipt(sample_receipt(tramite_name=name))
    lines = [i for i in lay.items if isinstance(i, TextItem) and i.bold and i.text in name]
    assert len(lines) >= 3
    assert " ".join(i.text for i in lines) == name
    centre = lay.left + lay.content_width / 2
    for line in lines:
        assert line.x + line.width / 2 == pytest.approx(centre, abs=0.5)
    assert_inside(lay)


def test_unbreakable_words_are_cut_to_fit() -> None:
    url = "https://turnos.iess.gob.ec/t/" + "X" * 200
    lay = layout_receipt(sample_receipt(status_url=url, agency_name="CAU " + "Y" * 80))
    assert_inside(lay)
    assert "".join(t for t in lay.texts() if "X" in t or "turnos" in t).endswith("X" * 20)


def test_wrap_text_keeps_every_word_in_order() -> None:
    text = "uno dos tres cuatro cinco seis siete ocho nueve diez once doce"
    lines = wrap_text(text, "Helvetica", 10, 60)
    assert len(lines) > 1
    assert " ".join(lines).split() == text.split()
    assert all(_width(ln, "Helvetica", 10) <= 60 for ln in lines)


def test_ticket_number_is_very_large_and_shrinks_to_fit_when_long() -> None:
    def number_item(receipt: Receipt) -> TextItem:
        lay = layout_receipt(receipt)
        return next(
            i for i in lay.items if isinstance(i, TextItem) and i.text == receipt.ticket_number
        )

    short = number_item(sample_receipt(ticket_number="A-7"))
    normal = number_item(sample_receipt(ticket_number="GD-042"))
    long = number_item(sample_receipt(ticket_number="GESTDOC-000042"))
    assert short.size >= 48 and normal.size >= 40  # ~15 mm digits, readable at arm's length
    assert long.size < normal.size
    assert long.width <= 72 * MM


def test_full_receipt_content_in_spanish() -> None:
    texts = " ".join(layout_receipt(sample_receipt()).texts())
    for expected in (
        "IESS",
        "CAU Quito Centro",
        "GD-042",
        "ATENCIÓN PRIORITARIA",
        "Ventanilla: Gestión Documental",
        "Cita agendada: 10:00",
        "Emitido: 25 de noviembre de 2026, 09:41",
        "Posición en la fila: 4",
        "entre 10 y 20 minutos",
        "Documentos recibidos",
        "✓",
        "Cédula de ciudadanía",
        "Presente los originales en ventanilla",
        "Autorización del tercero",
        "pendiente de sincronización",
        "Protección de Datos Personales (LOPDP)",
        "https://turnos.iess.gob.ec/t/GD042-7F3C2A9E",
    ):
        assert expected in texts, expected


def test_minimal_walk_in_receipt_omits_the_optional_blocks() -> None:
    lay = layout_receipt(minimal_receipt())
    texts = " ".join(lay.texts())
    assert "Sin cita previa" in texts
    for absent in ("PRIORITARIA", "sincronización", "Posición", "Espera", "Documentos recibidos"):
        assert absent not in texts
    assert sum(isinstance(i, QrItem) for i in lay.items) == 1


def test_priority_band_is_white_on_black() -> None:
    lay = layout_receipt(sample_receipt(priority=True))
    band = next(
        i for i in lay.items if isinstance(i, TextItem) and i.text == "ATENCIÓN PRIORITARIA"
    )
    assert band.white
    box = next(i for i in lay.items if isinstance(i, BoxItem) and i.filled and i.h > 10)
    assert box.y < band.baseline < box.y + box.h
    assert lay.items.index(box) < lay.items.index(band)  # drawn first, behind the text


def test_english_receipt() -> None:
    texts = " ".join(layout_receipt(sample_receipt(language="en")).texts())
    assert "YOUR TICKET" in texts and "PRIORITY SERVICE" in texts
    assert "between 10 and 20 minutes" in texts
    assert "November 25, 2026" in texts


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        ((10, 20), "Espera estimada: entre 10 y 20 minutos"),
        ((20, 10), "Espera estimada: entre 10 y 20 minutos"),
        ((15, 15), "Espera estimada: unos 15 minutos"),
        ((0, 0), "Será atendido en breve"),
        ((0, 5), "Espera estimada: menos de 5 minutos"),
    ],
)
def test_wait_text(wait: tuple[int, int], expected: str) -> None:
    assert wait_text(Translator("es"), wait) == expected


def test_receipt_catalogues_have_the_same_keys() -> None:
    es = json.loads((I18N_DIR / "es" / "receipt.json").read_text(encoding="utf-8"))
    en = json.loads((I18N_DIR / "en" / "receipt.json").read_text(encoding="utf-8"))
    assert set(es) == set(en)


def test_pdf_is_deterministic_and_small() -> None:
    receipt = sample_receipt()
    first, second = render_receipt_pdf(receipt), render_receipt_pdf(receipt)
    assert first == second  # reproducible: no timestamps or random ids inside
    assert first.startswith(b"%PDF-") and len(first) < 80_000  # fonts are subset, not whole


def test_appointment_without_time_falls_back_to_walk_in_wording() -> None:
    r = sample_receipt(appointment_at=None)
    assert "Sin cita previa" in " ".join(layout_receipt(r).texts())


def test_technician_page_shows_the_printer_and_the_accents() -> None:
    when = datetime(2026, 11, 25, 8, 0, tzinfo=ECUADOR)
    texts = " ".join(layout_receipt(technician_receipt("cups:KioskPDF", now=when)).texts())
    assert "PÁGINA DE PRUEBA" in texts and "cups:KioskPDF" in texts and "ñÑ" in texts


def test_importing_the_package_registers_no_font_and_loads_no_reportlab() -> None:
    code = (
        "import sys, kiosk.printing, kiosk.printing.factory\n"
        "from kiosk.printing import fonts\n"
        "assert not fonts._registered, 'fonts registered at import'\n"
        "assert 'reportlab' not in sys.modules, 'reportlab imported at import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=60, deadline=None)
@given(
    tramite=st.text(min_size=0, max_size=200),
    agency=st.text(min_size=0, max_size=120),
    number=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=16),
    docs=st.lists(st.text(max_size=90), max_size=6),
    paper=st.sampled_from(["roll80", "a4"]),
)
def test_any_text_stays_inside_the_column(
    tramite: str, agency: str, number: str, docs: list[str], paper: str
) -> None:
    receipt = sample_receipt(
        tramite_name=tramite,
        agency_name=agency,
        ticket_number=number,
        captured_documents=tuple(docs),
        originals_to_show=tuple(reversed(docs)),
    )
    assert_inside(layout_receipt(receipt, paper=paper))  # type: ignore[arg-type]
    assert render_receipt_pdf(receipt, paper=paper).startswith(b"%PDF-")  # type: ignore[arg-type]


def test_warm_up_leaves_fonts_registered() -> None:
    from kiosk.printing import fonts
    from kiosk.printing.receipt import warm_up

    warm_up()
    assert fonts._registered
