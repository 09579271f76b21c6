"""Online-turn rules: what the kiosk decides once a confirmation's signature has been verified.

Decoding and signature checking live in kiosk.turns (they need `cryptography`); this module only
holds the verified claims and the agency/day/window/single-use rules, so they are unit-testable.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class TurnOutcome(StrEnum):
    OK = "ok"
    # the code itself
    UNREADABLE = "unreadable"  # nothing decodable in the picture
    NOT_IESS = "not_iess"  # a QR code, but not one of ours (wrong prefix)
    MALFORMED = "malformed"  # our prefix, but the payload does not parse
    ALTERED = "altered"  # signature does not match the payload
    UNKNOWN_KEY = "unknown_key"  # signed by a key that is not in the trust list
    UNSUPPORTED_VERSION = "unsupported_version"
    # the rules
    OTHER_AGENCY = "other_agency"
    OTHER_DAY = "other_day"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    EXPIRED = "expired"
    ALREADY_USED = "already_used"


@dataclass(frozen=True)
class TurnClaims:
    """What a verified turn confirmation says."""

    turn_id: str
    agency_id: str
    tramite_id: str
    slot_start: datetime  # timezone-aware
    expires_at: datetime  # timezone-aware
    id_check: str  # hex digest binding the turn to the last digits of the ID number
    id_hint: str  # the last two digits of the ID, for "terminada en ··57"
    key_id: str = ""

    def __repr__(self) -> str:
        return (
            f"TurnClaims(turn={self.turn_id!r}, agency={self.agency_id!r}, slot={self.slot_start})"
        )


ID_SUFFIX_DIGITS = 4


def id_check_digest(turn_id: str, id_number: str) -> str:
    """Digest that binds a turn to the last digits of the citizen's ID number.

    Keyed with the turn id so the same citizen's digests differ between turns; 8 hex chars is
    enough for a confirmation step (the signature, not this, is what stops forgery). Only digits
    count: the citizen types them on a digits-only keypad, so a foreigner's code ending in letters
    ("EXT1234AB") or a number written with separators still binds to digits they can type.
    """
    digits = "".join(ch for ch in id_number if ch.isascii() and ch.isdigit())
    suffix = digits[-ID_SUFFIX_DIGITS:]
    return hmac.new(turn_id.encode(), suffix.encode(), hashlib.sha256).hexdigest()[:8]


def identity_matches(claims: TurnClaims, typed_suffix: str) -> bool:
    if len(typed_suffix) != ID_SUFFIX_DIGITS or not typed_suffix.isdigit():
        return False
    return hmac.compare_digest(id_check_digest(claims.turn_id, typed_suffix), claims.id_check)


@dataclass(frozen=True)
class ArrivalWindow:
    """Minutes before / after the slot start in which a check-in is accepted."""

    early_minutes: int = 30
    late_minutes: int = 15


@dataclass(frozen=True)
class TurnDecision:
    outcome: TurnOutcome
    come_back_at: datetime | None = None  # for TOO_EARLY
    claims: TurnClaims | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is TurnOutcome.OK


def evaluate_turn(
    claims: TurnClaims,
    *,
    agency_id: str,
    now: datetime,
    window: ArrivalWindow,
    already_used: bool,
) -> TurnDecision:
    """Apply the kiosk's rules, most fundamental first, so the citizen hears the real reason."""
    if claims.agency_id != agency_id:
        return TurnDecision(TurnOutcome.OTHER_AGENCY, claims=claims)
    if already_used:
        return TurnDecision(TurnOutcome.ALREADY_USED, claims=claims)
    local_slot = claims.slot_start.astimezone(now.tzinfo)
    if local_slot.date() != now.date():
        return TurnDecision(TurnOutcome.OTHER_DAY, claims=claims)
    if now >= claims.expires_at:
        return TurnDecision(TurnOutcome.EXPIRED, claims=claims)
    opens = local_slot - timedelta(minutes=window.early_minutes)
    closes = local_slot + timedelta(minutes=window.late_minutes)
    if now < opens:
        return TurnDecision(TurnOutcome.TOO_EARLY, come_back_at=opens, claims=claims)
    if now > closes:
        return TurnDecision(TurnOutcome.TOO_LATE, claims=claims)
    return TurnDecision(TurnOutcome.OK, claims=claims)
