"""The catalog transcribed from the official sheets, and its loader's precise errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from domain_fakes import CATALOG_DIR

from kiosk.domain.catalog import (
    Catalog,
    CatalogError,
    DocumentType,
    RequirementKind,
    Tramite,
    load_catalog,
)

SGRT = "certificado-atencion-medica-sgrt"
EXTRANJEROS = "codigo-extranjeros"
CITA = "cita-medica"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_DIR)


def test_every_sheet_is_in_the_catalog(catalog: Catalog) -> None:
    assert {t.id for t in catalog.tramites} >= {SGRT, EXTRANJEROS, CITA}
    assert {g.id for g in catalog.groups} >= {"riesgos-trabajo", "aseguramiento", "salud"}
    for t in catalog.tramites:
        assert t.group in {g.id for g in catalog.groups}


def test_official_names_follow_the_sheets(catalog: Catalog) -> None:
    assert catalog.get(SGRT).official_name.lower() == (
        "solicitud de certificado para atención médica de beneficiarios del seguro general "
        "de riesgos del trabajo"
    )
    assert catalog.get(EXTRANJEROS).official_name.lower() == (
        "asignación de código de identificación para extranjeros"
    )
    assert catalog.get(CITA).official_name.lower() == (
        "solicitud de cita médica del seguro general de salud individual y familiar"
    )


def test_online_turn_required_only_for_codigo_extranjeros(catalog: Catalog) -> None:
    # "Genere su turno en línea" vs "NO requiere generar un turno en línea"
    ext = catalog.get(EXTRANJEROS)
    assert ext.online_turn_required is True
    assert ext.online_turn_url.startswith("https://app.iess.gob.ec/")
    assert "turnero" in ext.online_turn_url
    assert catalog.get(SGRT).online_turn_required is False


def test_sgrt_is_a_walk_in_at_gestion_documental(catalog: Catalog) -> None:
    t = catalog.get(SGRT)
    assert t.kiosk_service is True
    assert "Gestión Documental" in t.service_area
    assert t.group == "riesgos-trabajo"


def test_cita_medica_is_not_served_by_the_kiosk(catalog: Catalog) -> None:
    t = catalog.get(CITA)
    assert t.kiosk_service is False
    assert t.redirect is not None
    assert t.redirect.phone == "140"
    assert "140" in t.redirect.explanation
    assert t.redirect.url.startswith("https://")
    assert "citas" in t.redirect.url
    assert not any(r.capture for r in t.requirements)


@pytest.mark.parametrize("tramite_id", [SGRT, EXTRANJEROS, CITA])
def test_every_sheet_says_the_service_is_free(catalog: Catalog, tramite_id: str) -> None:
    assert "no tiene costo" in catalog.get(tramite_id).cost.lower()


@pytest.mark.parametrize("tramite_id", [SGRT, EXTRANJEROS])
def test_hours_monday_to_friday_8_to_17(catalog: Catalog, tramite_id: str) -> None:
    hours = catalog.get(tramite_id).hours.lower()
    assert "lunes a viernes" in hours
    assert "08:00" in hours
    assert "17:00" in hours


@pytest.mark.parametrize("tramite_id", [SGRT, EXTRANJEROS])
def test_request_letter_needs_a_handwritten_signature(catalog: Catalog, tramite_id: str) -> None:
    letter = catalog.get(tramite_id).requirement("solicitud")
    assert letter.kind is RequirementKind.GENERAL
    assert letter.signature_required is True
    assert letter.document is DocumentType.A4
    assert letter.capture is True


def test_extranjeros_third_party_authorisation_must_be_signed(catalog: Catalog) -> None:
    # "Firma. La suscripción del documento de forma manuscrita es imprescindible."
    auth = catalog.get(EXTRANJEROS).requirement("autorizacion-terceros")
    assert auth.kind is RequirementKind.ADDITIONAL
    assert auth.signature_required is True
    assert auth.applies_when == {"on_behalf": "third_party"}


def test_sgrt_requirements_follow_the_sheet(catalog: Catalog) -> None:
    t = catalog.get(SGRT)
    kinds = {r.id: r.kind for r in t.requirements}
    assert kinds == {
        "cedula": RequirementKind.GENERAL,
        "solicitud": RequirementKind.GENERAL,
        "codigo-extranjero": RequirementKind.ALTERNATIVE,
        "autorizacion-terceros": RequirementKind.ADDITIONAL,
        "cedula-tercero": RequirementKind.ADDITIONAL,
        "codigo-extranjero-tercero": RequirementKind.ADDITIONAL,
    }
    alt = t.requirement("codigo-extranjero")
    assert alt.replaces == "cedula"
    assert alt.applies_when == {"id_type": "foreigner_code"}
    # "Presente el documento original … no debe entregar copia"
    assert t.requirement("cedula").present_original is True
    assert alt.present_original is True
    assert t.identify_question == "id_type"


def test_extranjeros_general_requirements_follow_the_sheet(catalog: Catalog) -> None:
    t = catalog.get(EXTRANJEROS)
    general = [r.id for r in t.requirements if r.kind is RequirementKind.GENERAL]
    assert general == ["solicitud", "pasaporte", "visa", "contrato-trabajo"]
    assert t.requirement("pasaporte").document is DocumentType.PASSPORT
    assert t.requirement("pasaporte").present_original is True
    assert t.requirement("visa").present_original is True


def test_each_kiosk_trámite_has_its_own_ticket_letter(catalog: Catalog) -> None:
    letters = [t.service_letter for t in catalog.tramites]
    assert len(letters) == len(set(letters))


def test_catalog_get_and_in_group(catalog: Catalog) -> None:
    with pytest.raises(KeyError):
        catalog.get("no-such-tramite")
    assert [t.id for t in catalog.in_group("salud")] == [CITA]
    assert catalog.in_group("salud", offered=[SGRT]) == []


def test_restricted_to_keeps_the_kiosks_order(catalog: Catalog) -> None:
    restricted = catalog.restricted_to([CITA, SGRT])
    assert [t.id for t in restricted.tramites] == [CITA, SGRT]
    assert {g.id for g in restricted.groups} == {"salud", "riesgos-trabajo"}
    with pytest.raises(CatalogError) as err:
        catalog.restricted_to([SGRT, "jubilacion"])
    assert err.value.field_name == "tramites"
    assert "jubilacion" in str(err.value)


# ----------------------------------------------------------------- broken catalog files


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, folder)
    return folder


def _edit(folder: Path, tramite_id: str, change: Any) -> Path:
    path = folder / "tramites" / f"{tramite_id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _error(folder: Path) -> CatalogError:
    with pytest.raises(CatalogError) as err:
        load_catalog(folder)
    return err.value


def test_the_copy_loads(broken: Path) -> None:
    assert isinstance(load_catalog(broken).get(SGRT), Tramite)


def test_invalid_json_names_file_and_line(broken: Path) -> None:
    path = broken / "tramites" / f"{SGRT}.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].rstrip(",") + ",,"  # a stray comma on line 5
    path.write_text("\n".join(lines), encoding="utf-8")
    err = _error(broken)
    assert err.path == str(path)
    assert "line 5" in err.field_name
    assert str(path) in str(err)


def test_invalid_groups_json(broken: Path) -> None:
    (broken / "groups.json").write_text('{"groups": [', encoding="utf-8")
    err = _error(broken)
    assert err.path.endswith("groups.json")
    assert "line 1" in err.field_name


def test_missing_field(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d.pop("cost"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "cost")
    assert "missing" in err.problem


def test_missing_field_in_a_requirement(broken: Path) -> None:
    path = _edit(broken, EXTRANJEROS, lambda d: d["requirements"][2].pop("name"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[2].name")


@pytest.mark.parametrize(
    ("field", "value", "expected_field"),
    [
        ("online_turn_required", "no", "online_turn_required"),
        ("kiosk_service", 1, "kiosk_service"),
        ("name", 42, "name"),
        ("name", "   ", "name"),
        ("channels", "Presencial", "channels"),
        ("notes", [1, 2], "notes"),
        ("questions", {"id": "x"}, "questions"),
        ("requirements", "cedula", "requirements"),
    ],
)
def test_wrong_type(broken: Path, field: str, value: Any, expected_field: str) -> None:
    path = _edit(broken, SGRT, lambda d: d.__setitem__(field, value))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), expected_field)


def test_wrong_type_in_a_requirement(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][1].__setitem__("capture", "yes"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[1].capture")


def test_root_not_an_object(broken: Path) -> None:
    path = broken / "tramites" / f"{CITA}.json"
    path.write_text("[]", encoding="utf-8")
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "(root)")


def test_unknown_group(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d.__setitem__("group", "jubilacion"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "group")
    assert "jubilacion" in err.problem


def test_unknown_requirement_kind(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][0].__setitem__("kind", "optional"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[0].kind")
    assert "optional" in err.problem and "alternative" in err.problem


def test_unknown_document_type(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][0].__setitem__("document", "photo"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[0].document")


def test_alternative_without_replaces(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][2].pop("replaces"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[2].replaces")


def test_alternative_replacing_an_unknown_requirement(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][2].__setitem__("replaces", "dni"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[2].replaces")


def test_alternative_must_replace_a_general_requirement(broken: Path) -> None:
    # replacing an additional requirement would silently never show in the checklist
    path = _edit(
        broken, SGRT, lambda d: d["requirements"][2].__setitem__("replaces", "cedula-tercero")
    )
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[2].replaces")


def test_additional_without_condition(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][3].pop("applies_when"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[3].applies_when")


def test_condition_on_an_answer_that_is_not_an_option(broken: Path) -> None:
    path = _edit(
        broken, SGRT, lambda d: d["requirements"][3]["applies_when"].__setitem__("on_behalf", "x")
    )
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[3].applies_when.on_behalf")


def test_duplicate_requirement_ids(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][1].__setitem__("id", "cedula"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements")


def test_question_with_one_option(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["questions"][0]["options"].pop())
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "questions[0].options")


def test_file_name_must_match_id(broken: Path) -> None:
    old = broken / "tramites" / f"{CITA}.json"
    new = broken / "tramites" / "citas.json"
    old.rename(new)
    err = _error(broken)
    assert (err.path, err.field_name) == (str(new), "id")
    assert "citas" in err.problem and CITA in err.problem


def test_empty_tramites_folder(broken: Path) -> None:
    for path in (broken / "tramites").glob("*.json"):
        path.unlink()
    err = _error(broken)
    assert err.path == str(broken / "tramites")
    assert "no trámite" in err.problem


def test_missing_groups_file(broken: Path) -> None:
    (broken / "groups.json").unlink()
    err = _error(broken)
    assert err.path.endswith("groups.json")


def test_kiosk_service_needs_area_and_redirect(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d.__setitem__("service_area", ""))
    assert (_error(broken).path, _error(broken).field_name) == (str(path), "service_area")


def test_not_served_needs_a_redirect(broken: Path) -> None:
    path = _edit(broken, CITA, lambda d: d.pop("redirect"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "redirect")


def test_service_letter_is_one_letter(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d.__setitem__("service_letter", "D1"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "service_letter")


def test_captured_requirement_needs_a_document_type(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["requirements"][0].__setitem__("document", "none"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[0].document")


def test_identify_question_must_exist(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["identify_with"].__setitem__("question", "doc"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "identify_with.question")


def test_identify_default_must_be_an_id_type(broken: Path) -> None:
    # the keypad would crash on IdType("dni") in the middle of a visit
    path = _edit(broken, EXTRANJEROS, lambda d: d["identify_with"].__setitem__("default", "dni"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "identify_with.default")


def test_identify_question_options_must_be_id_types(broken: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["questions"][1]["options"][1]["value"] = "pasaporte"
        d["requirements"][2]["applies_when"]["id_type"] = "pasaporte"

    path = _edit(broken, SGRT, change)
    err = _error(broken)
    assert err.path == str(path)
    assert err.field_name.startswith("questions[1].options")


def test_show_when_must_name_a_question_and_an_option(broken: Path) -> None:
    path = _edit(
        broken, SGRT, lambda d: d["questions"][2]["show_when"].__setitem__("on_behalf", "tercero")
    )
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "questions[2].show_when.on_behalf")


def test_duplicate_question_ids(broken: Path) -> None:
    path = _edit(broken, SGRT, lambda d: d["questions"][1].__setitem__("id", "on_behalf"))
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "questions")


def test_condition_on_an_unknown_question(broken: Path) -> None:
    # a typo in the question id would hide the requirement for every citizen
    def change(d: dict[str, Any]) -> None:
        d["requirements"][3]["applies_when"] = {"on_behlf": "third_party"}

    path = _edit(broken, SGRT, change)
    err = _error(broken)
    assert (err.path, err.field_name) == (str(path), "requirements[3].applies_when.on_behlf")


def test_condition_on_id_type_is_allowed_without_the_question() -> None:
    # cita-medica does not ask it: the identity document decides
    cita = load_catalog(CATALOG_DIR).get(CITA)
    assert "id_type" not in {q.id for q in cita.questions}
    assert cita.requirement("codigo-extranjero").applies_when == {"id_type": "foreigner_code"}
