"""Checklists computed from the citizen's answers.

The expected lists are written by hand from the sheets in /work/shared/seeds, not from the code:
- SGRT certificate: general = cédula + signed request letter; alternative = foreigner's code
  instead of the cédula; additional (third party) = authorisation + the authorised person's own ID.
- Foreigner's code: general = request letter, passport, visa, work contract; additional (third
  party) = signed authorisation + the authorised person's cédula or foreigner's code.
"""

from __future__ import annotations

import itertools

import pytest
from domain_fakes import CATALOG_DIR

from kiosk.domain.catalog import Catalog, Tramite, load_catalog
from kiosk.domain.requirements import missing_answers, resolve_checklist, visible_questions

CATALOG: Catalog = load_catalog(CATALOG_DIR)
SGRT = CATALOG.get("certificado-atencion-medica-sgrt")
EXT = CATALOG.get("codigo-extranjeros")
CITA = CATALOG.get("cita-medica")

SGRT_EXPECTED = {
    # (on_behalf, id_type, third_party_id_type): checklist
    ("self", "cedula", None): ["cedula", "solicitud"],
    ("self", "foreigner_code", None): ["codigo-extranjero", "solicitud"],
    ("third_party", "cedula", "cedula"): [
        "cedula", "solicitud", "autorizacion-terceros", "cedula-tercero"],
    ("third_party", "cedula", "foreigner_code"): [
        "cedula", "solicitud", "autorizacion-terceros", "codigo-extranjero-tercero"],
    ("third_party", "foreigner_code", "cedula"): [
        "codigo-extranjero", "solicitud", "autorizacion-terceros", "cedula-tercero"],
    ("third_party", "foreigner_code", "foreigner_code"): [
        "codigo-extranjero", "solicitud", "autorizacion-terceros", "codigo-extranjero-tercero"],
}

EXT_EXPECTED = {
    ("self", None): ["solicitud", "pasaporte", "visa", "contrato-trabajo"],
    ("third_party", "cedula"): [
        "solicitud", "pasaporte", "visa", "contrato-trabajo",
        "autorizacion-terceros", "cedula-tercero"],
    ("third_party", "foreigner_code"): [
        "solicitud", "pasaporte", "visa", "contrato-trabajo",
        "autorizacion-terceros", "codigo-extranjero-tercero"],
}


def _answers(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def test_sgrt_table_covers_every_combination() -> None:
    combos = set()
    for on_behalf, id_type, tp in itertools.product(
        ["self", "third_party"], ["cedula", "foreigner_code"], ["cedula", "foreigner_code"]
    ):
        combos.add((on_behalf, id_type, tp if on_behalf == "third_party" else None))
    assert combos == set(SGRT_EXPECTED)


@pytest.mark.parametrize(("key", "expected"), sorted(SGRT_EXPECTED.items()))
def test_sgrt_checklist(key: tuple[str, str, str | None], expected: list[str]) -> None:
    on_behalf, id_type, tp = key
    answers = _answers(on_behalf=on_behalf, id_type=id_type, third_party_id_type=tp)
    assert missing_answers(SGRT, answers) == []
    items = resolve_checklist(SGRT, answers)
    assert [i.id for i in items] == expected
    assert all(i.capture for i in items)
    replaced = {i.id: i.replaced for i in items}
    if id_type == "foreigner_code":
        assert replaced["codigo-extranjero"] == "cedula"
    assert replaced["solicitud"] is None


@pytest.mark.parametrize("id_type", ["cedula", "foreigner_code"])
@pytest.mark.parametrize("stale", ["cedula", "foreigner_code"])
def test_sgrt_self_ignores_a_stale_third_party_answer(id_type: str, stale: str) -> None:
    answers = _answers(on_behalf="self", id_type=id_type, third_party_id_type=stale)
    assert [i.id for i in resolve_checklist(SGRT, answers)] == SGRT_EXPECTED[
        ("self", id_type, None)
    ]


@pytest.mark.parametrize(("key", "expected"), sorted(EXT_EXPECTED.items(), key=str))
def test_codigo_extranjeros_checklist(key: tuple[str, str | None], expected: list[str]) -> None:
    on_behalf, tp = key
    answers = _answers(on_behalf=on_behalf, third_party_id_type=tp)
    assert missing_answers(EXT, answers) == []
    assert [i.id for i in resolve_checklist(EXT, answers)] == expected


def test_codigo_extranjeros_table_covers_every_combination() -> None:
    assert set(EXT_EXPECTED) == {
        ("self", None), ("third_party", "cedula"), ("third_party", "foreigner_code")
    }


def test_cita_medica_checklist_has_nothing_to_capture() -> None:
    assert [i.id for i in resolve_checklist(CITA, {})] == ["cedula", "clave-iess"]
    items = resolve_checklist(CITA, {"id_type": "foreigner_code"})
    assert [i.id for i in items] == ["codigo-extranjero", "clave-iess"]
    assert not any(i.capture for i in items)


def test_visible_questions_show_follow_ups_only_when_relevant() -> None:
    def ids(answers: dict[str, str], tramite: Tramite = SGRT) -> list[str]:
        return [q.id for q in visible_questions(tramite, answers)]

    assert ids({}) == ["on_behalf", "id_type"]
    assert ids({"on_behalf": "self"}) == ["on_behalf", "id_type"]
    assert ids({"on_behalf": "third_party"}) == ["on_behalf", "id_type", "third_party_id_type"]
    assert ids({}, EXT) == ["on_behalf"]
    assert ids({"on_behalf": "self"}, EXT) == ["on_behalf"]
    assert ids({"on_behalf": "third_party"}, EXT) == ["on_behalf", "third_party_id_type"]
    assert ids({}, CITA) == []


def test_missing_answers_in_order() -> None:
    assert [q.id for q in missing_answers(SGRT, {})] == ["on_behalf", "id_type"]
    assert [q.id for q in missing_answers(SGRT, {"on_behalf": "third_party"})] == [
        "id_type", "third_party_id_type"]
    assert [q.id for q in missing_answers(SGRT, {"on_behalf": "self", "id_type": "cedula"})] == []
    assert [q.id for q in missing_answers(EXT, {"on_behalf": "third_party"})] == [
        "third_party_id_type"]
