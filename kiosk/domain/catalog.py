"""The catalog of trámites, transcribed from the official procedure sheets (resources/catalog/).

Loaded and validated at start. A broken file raises CatalogError naming the file and the field,
so the kiosk can log it precisely and show its out-of-order screen instead of half a menu.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.domain.identity import IdType


class CatalogError(ValueError):
    def __init__(self, path: Path | str, field_name: str, problem: str) -> None:
        self.path = str(path)
        self.field_name = field_name
        self.problem = problem
        super().__init__(f"{self.path}: field '{field_name}': {problem}")


class RequirementKind(StrEnum):
    GENERAL = "general"
    # instead of a general one (e.g. foreigner's code instead of cédula)
    ALTERNATIVE = "alternative"
    ADDITIONAL = "additional"  # on top, when a condition holds (e.g. acting for a third party)


class DocumentType(StrEnum):
    ID_CARD = "id_card"
    PASSPORT = "passport"
    A4 = "a4"
    NONE = "none"  # nothing to capture (a number said on the phone, a password)


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: RequirementKind
    name: str
    detail: str
    document: DocumentType
    capture: bool
    present_original: bool
    signature_required: bool = False
    replaces: str | None = None
    applies_when: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]
    show_when: Mapping[str, str] = field(default_factory=dict)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Redirect:
    explanation: str
    phone: str = ""
    url: str = ""


@dataclass(frozen=True)
class Tramite:
    id: str
    group: str
    name: str
    official_name: str
    description: str
    audience: str
    result: str
    channels: tuple[str, ...]
    online_turn_required: bool
    kiosk_service: bool
    service_area: str
    service_letter: str
    cost: str
    hours: str
    legal_basis: tuple[str, ...]
    notes: tuple[str, ...]
    questions: tuple[Question, ...]
    requirements: tuple[Requirement, ...]
    identify_question: str | None = None  # question whose answer picks the ID keypad
    identify_default: str = "cedula"
    online_turn_url: str = ""
    redirect: Redirect | None = None

    def requirement(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    description: str
    icon: str


@dataclass(frozen=True)
class Catalog:
    groups: tuple[Group, ...]
    tramites: tuple[Tramite, ...]

    def get(self, tramite_id: str) -> Tramite:
        for tramite in self.tramites:
            if tramite.id == tramite_id:
                return tramite
        raise KeyError(tramite_id)

    def in_group(self, group_id: str, offered: Iterable[str] | None = None) -> list[Tramite]:
        allowed = None if offered is None else list(offered)
        found = [t for t in self.tramites if t.group == group_id]
        if allowed is None:
            return found
        return sorted((t for t in found if t.id in allowed), key=lambda t: allowed.index(t.id))

    def restricted_to(self, offered: Iterable[str]) -> Catalog:
        """The catalog as a kiosk offers it: only these trámites, in this order."""
        order = list(offered)
        unknown = [i for i in order if i not in {t.id for t in self.tramites}]
        if unknown:
            raise CatalogError(
                "settings", "tramites", f"unknown trámite id(s): {', '.join(unknown)}"
            )
        tramites = tuple(self.get(i) for i in order)
        used_groups = {t.group for t in tramites}
        return Catalog(tuple(g for g in self.groups if g.id in used_groups), tramites)


# ------------------------------------------------------------------ parsing with precise errors


class _Reader:
    def __init__(self, path: Path, data: Any, prefix: builtins.str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix
        if not isinstance(data, dict):
            raise CatalogError(path, prefix or "(root)", "must be an object")

    def _name(self, key: builtins.str) -> builtins.str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def str(
        self, key: builtins.str, *, required: bool = True, default: builtins.str = ""
    ) -> builtins.str:
        if key not in self.data:
            if required:
                raise CatalogError(self.path, self._name(key), "is missing")
            return default
        value = self.data[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise CatalogError(self.path, self._name(key), "must be a non-empty text")
        return value

    def bool(self, key: builtins.str, *, default: bool | None = None) -> bool:
        if key not in self.data:
            if default is None:
                raise CatalogError(self.path, self._name(key), "is missing")
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise CatalogError(self.path, self._name(key), "must be true or false")
        return value

    def strs(self, key: builtins.str) -> tuple[builtins.str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CatalogError(self.path, self._name(key), "must be a list of texts")
        return tuple(value)

    def mapping(self, key: builtins.str) -> dict[builtins.str, builtins.str]:
        value = self.data.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise CatalogError(self.path, self._name(key), "must map question ids to answers")
        return dict(value)

    def items(self, key: builtins.str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise CatalogError(self.path, self._name(key), "must be a list")
        return [_Reader(self.path, v, f"{self._name(key)}[{i}]") for i, v in enumerate(value)]

    def enum(self, key: builtins.str, enum: type[StrEnum]) -> Any:
        value = self.str(key)
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise CatalogError(
                self.path, self._name(key), f"'{value}' is not one of: {allowed}"
            ) from None


def _parse_tramite(path: Path, data: Any, group_ids: set[str]) -> Tramite:
    r = _Reader(path, data)
    questions = []
    for q in r.items("questions"):
        options = tuple(Option(o.str("value"), o.str("label")) for o in q.items("options"))
        if len(options) < 2:
            raise CatalogError(path, f"{q.prefix}.options", "needs at least two options")
        questions.append(Question(q.str("id"), q.str("text"), options, q.mapping("show_when")))
    requirements = []
    for q in r.items("requirements"):
        requirements.append(
            Requirement(
                id=q.str("id"),
                kind=q.enum("kind", RequirementKind),
                name=q.str("name"),
                detail=q.str("detail", required=False),
                document=q.enum("document", DocumentType),
                capture=q.bool("capture"),
                present_original=q.bool("present_original", default=False),
                signature_required=q.bool("signature_required", default=False),
                replaces=q.str("replaces", required=False) or None,
                applies_when=q.mapping("applies_when"),
            )
        )
    identify = r.data.get("identify_with", {})
    identify_r = _Reader(path, identify, "identify_with")
    redirect = None
    if "redirect" in r.data:
        rr = _Reader(path, r.data["redirect"], "redirect")
        redirect = Redirect(
            rr.str("explanation"), rr.str("phone", required=False), rr.str("url", required=False)
        )
    tramite = Tramite(
        id=r.str("id"),
        group=r.str("group"),
        name=r.str("name"),
        official_name=r.str("official_name"),
        description=r.str("description"),
        audience=r.str("audience"),
        result=r.str("result"),
        channels=r.strs("channels"),
        online_turn_required=r.bool("online_turn_required"),
        kiosk_service=r.bool("kiosk_service"),
        service_area=r.str("service_area", required=False),
        service_letter=r.str("service_letter"),
        cost=r.str("cost"),
        hours=r.str("hours", required=False),
        legal_basis=r.strs("legal_basis"),
        notes=r.strs("notes"),
        questions=tuple(questions),
        requirements=tuple(requirements),
        identify_question=identify_r.str("question", required=False) or None,
        identify_default=identify_r.str("default", required=False, default="cedula"),
        online_turn_url=r.str("online_turn_url", required=False),
        redirect=redirect,
    )
    _check_consistency(path, tramite, group_ids)
    return tramite


def _check_consistency(path: Path, t: Tramite, group_ids: set[str]) -> None:
    if path.stem != t.id:
        raise CatalogError(path, "id", f"'{t.id}' must match the file name '{path.stem}'")
    if t.group not in group_ids:
        raise CatalogError(path, "group", f"unknown group '{t.group}'")
    if len(t.service_letter) != 1 or not t.service_letter.isalpha():
        raise CatalogError(path, "service_letter", "must be one letter")
    if t.kiosk_service and not t.service_area:
        raise CatalogError(path, "service_area", "is required when the kiosk serves the trámite")
    if not t.kiosk_service and t.redirect is None:
        raise CatalogError(path, "redirect", "is required when the kiosk cannot serve the trámite")
    question_ids = [q.id for q in t.questions]
    if len(question_ids) != len(set(question_ids)):
        raise CatalogError(path, "questions", "question ids must be unique")
    questions = {q.id: q for q in t.questions}
    for i, question in enumerate(t.questions):
        values = [o.value for o in question.options]
        if len(values) != len(set(values)):
            raise CatalogError(path, f"questions[{i}].options", "option values must be unique")
        for qid, answer in question.show_when.items():
            if qid not in questions or questions[qid].option(answer) is None:
                raise CatalogError(
                    path,
                    f"questions[{i}].show_when.{qid}",
                    f"'{answer}' is not an answer of '{qid}'",
                )
    ids = [r.id for r in t.requirements]
    if len(ids) != len(set(ids)):
        raise CatalogError(path, "requirements", "requirement ids must be unique")
    general = {r.id for r in t.requirements if r.kind is RequirementKind.GENERAL}
    for i, req in enumerate(t.requirements):
        where = f"requirements[{i}]"
        if req.kind is RequirementKind.ALTERNATIVE and req.replaces not in general:
            raise CatalogError(path, f"{where}.replaces", "must name a general requirement")
        if req.kind is not RequirementKind.GENERAL and not req.applies_when:
            raise CatalogError(
                path, f"{where}.applies_when", "alternative/additional needs a condition"
            )
        for qid, answer in req.applies_when.items():
            # id_type may be decided by the turn itself for trámites that do not ask it; any
            # other condition must name a question, or a typo would hide the requirement for good
            if qid not in questions and qid != "id_type":
                raise CatalogError(path, f"{where}.applies_when.{qid}", "unknown question")
            if qid in questions and questions[qid].option(answer) is None:
                raise CatalogError(
                    path, f"{where}.applies_when.{qid}", f"'{answer}' is not an option"
                )
        if req.capture and req.document is DocumentType.NONE:
            raise CatalogError(
                path, f"{where}.document", "a captured requirement needs a document type"
            )
    id_types = {i.value for i in IdType}
    if t.identify_default not in id_types:
        raise CatalogError(
            path, "identify_with.default", f"must be one of: {', '.join(sorted(id_types))}"
        )
    if t.identify_question:
        if t.identify_question not in questions:
            raise CatalogError(
                path, "identify_with.question", f"unknown question '{t.identify_question}'"
            )
        # the answer picks the keypad, so every option must be an identity document type
        qi = question_ids.index(t.identify_question)
        for j, option in enumerate(questions[t.identify_question].options):
            if option.value not in id_types:
                raise CatalogError(
                    path,
                    f"questions[{qi}].options[{j}].value",
                    f"'{option.value}' is not an identity document type of identify_with",
                )


def load_catalog(folder: Path) -> Catalog:
    groups_path = folder / "groups.json"
    groups_data = _read_json(groups_path)
    groups = tuple(
        Group(g.str("id"), g.str("name"), g.str("description"), g.str("icon", required=False))
        for g in _Reader(groups_path, groups_data).items("groups")
    )
    group_ids = {g.id for g in groups}
    files = sorted((folder / "tramites").glob("*.json"))
    if not files:
        raise CatalogError(folder / "tramites", "(files)", "no trámite files found")
    tramites = tuple(_parse_tramite(p, _read_json(p), group_ids) for p in files)
    return Catalog(groups, tramites)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(path, "(file)", "file not found") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(path, f"(line {exc.lineno}, column {exc.colno})", exc.msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, "(file)", str(exc)) from None
