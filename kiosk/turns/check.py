"""The kiosk-side check of a scanned confirmation: offline signature check + the turn rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.ports import Clock
from kiosk.domain.turns import ArrivalWindow, TurnDecision, TurnOutcome, evaluate_turn
from kiosk.turns.token import TokenError, decode_token
from kiosk.turns.trust import TrustList

log = logging.getLogger("kiosk.turns")


def check_turn(
    text: str | None,
    *,
    trust: TrustList,
    agency_id: str,
    now: datetime,
    window: ArrivalWindow,
    is_used: Callable[[str], bool],
) -> TurnDecision:
    """Decode, verify and apply the rules. ``text`` None or empty means nothing was read."""
    if not text or not text.strip():
        return TurnDecision(TurnOutcome.UNREADABLE)
    try:
        claims = decode_token(text, trust)
    except TokenError as exc:
        # the outcome and a structural detail only: a token body never reaches the log
        log.info("turn refused: %s (%s)", exc.outcome.value, exc.detail or "-")
        return TurnDecision(exc.outcome)
    trusted = trust.get(claims.key_id)
    if trusted is not None and not trusted.valid_at(now):
        log.info("turn refused: key %s retired", claims.key_id)
        return TurnDecision(TurnOutcome.UNKNOWN_KEY)
    decision = evaluate_turn(
        claims,
        agency_id=agency_id,
        now=now,
        window=window,
        already_used=is_used(claims.turn_id),
    )
    if not decision.ok:
        log.info("turn refused: %s", decision.outcome.value)
    return decision


@dataclass
class TurnVerifier:
    """check_turn bound to the kiosk's configuration; ``trust`` may be swapped after a refresh.

    ``is_used`` is the kiosk's ledger of used turns; ``clock`` a kiosk.domain.ports.Clock or a
    plain callable returning the aware local time."""

    trust: TrustList
    is_used: Callable[[str], bool]
    clock: Clock | Callable[[], datetime]
    agency_id: str
    window: ArrivalWindow = ArrivalWindow()  # noqa: RUF009 - frozen dataclass, safe default

    def now(self) -> datetime:
        clock = self.clock
        return clock.now() if hasattr(clock, "now") else clock()

    def check(self, text: str | None) -> TurnDecision:
        return check_turn(
            text,
            trust=self.trust,
            agency_id=self.agency_id,
            now=self.now(),
            window=self.window,
            is_used=self.is_used,
        )


def turn_message(decision: TurnDecision, t: Callable[..., str]) -> tuple[str, str]:
    """(message, next step) for the citizen, from the "turn" catalogue; ``t`` is a Translator."""
    key = decision.outcome.value
    values: dict[str, str] = {}
    if decision.outcome is TurnOutcome.TOO_EARLY and decision.come_back_at is not None:
        values["time"] = decision.come_back_at.strftime("%H:%M")
    if decision.claims is not None:
        values["hint"] = decision.claims.id_hint
    message = t(f"turn.{key}", **values) if values else t(f"turn.{key}")
    step = t(f"turn.{key}_next", **values) if values else t(f"turn.{key}_next")
    return message, step
