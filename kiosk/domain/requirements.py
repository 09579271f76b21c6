"""The checklist for a trámite, computed from the citizen's answers (sheets: general,
alternative — instead of a general one — and additional requirements)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.domain.catalog import Question, Requirement, RequirementKind, Tramite


@dataclass(frozen=True)
class ChecklistItem:
    requirement: Requirement
    replaced: str | None = None  # id of the general requirement this one stands in for

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def capture(self) -> bool:
        return self.requirement.capture


def _holds(conditions: Mapping[str, str], answers: Mapping[str, str]) -> bool:
    return all(answers.get(q) == a for q, a in conditions.items())


def visible_questions(tramite: Tramite, answers: Mapping[str, str]) -> list[Question]:
    """Questions to ask, given what has been answered so far (follow-ups appear on demand)."""
    return [q for q in tramite.questions if _holds(q.show_when, answers)]


def missing_answers(tramite: Tramite, answers: Mapping[str, str]) -> list[Question]:
    return [q for q in visible_questions(tramite, answers) if q.id not in answers]


def resolve_checklist(tramite: Tramite, answers: Mapping[str, str]) -> list[ChecklistItem]:
    """General requirements, each replaced by an alternative whose condition holds, then the
    additional ones whose condition holds — in the sheet's order."""
    alternatives = {
        r.replaces: r
        for r in tramite.requirements
        if r.kind is RequirementKind.ALTERNATIVE and _holds(r.applies_when, answers)
    }
    items: list[ChecklistItem] = []
    for req in tramite.requirements:
        if req.kind is RequirementKind.GENERAL:
            alt = alternatives.get(req.id)
            items.append(ChecklistItem(alt, replaced=req.id) if alt else ChecklistItem(req))
        elif req.kind is RequirementKind.ADDITIONAL and _holds(req.applies_when, answers):
            items.append(ChecklistItem(req))
    return items
