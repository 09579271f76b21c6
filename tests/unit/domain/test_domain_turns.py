"""Online-turn rules applied after the signature has been verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from domain_fakes import GYE

from kiosk.domain.turns import (
    ID_SUFFIX_DIGITS,
    ArrivalWindow,
    TurnClaims,
    TurnDecision,
    TurnOutcome,
    evaluate_turn,
    id_check_digest,
    identity_matches,
)

AGENCY = "CAU-QUITO-CENTRO"
SLOT = datetime(2026, 11, 25, 10, 0, tzinfo=GYE)
WINDOW = ArrivalWindow(early_minutes=30, late_minutes=15)
US = timedelta(microseconds=1)


def claims(
    *,
    slot: datetime = SLOT,
    expires: datetime | None = None,
    agency: str = AGENCY,
    id_number: str = "1710034065",
) -> TurnClaims:
    return TurnClaims(
        turn_id="T-0001",
        agency_id=agency,
        tramite_id="codigo-extranjeros",
        slot_start=slot,
        expires_at=expires or slot.replace(hour=23, minute=59),
        id_check=id_check_digest("T-0001", id_number),
        id_hint=id_number[-2:],
    )


def decide(c: TurnClaims, now: datetime, *, used: bool = False,
           window: ArrivalWindow = WINDOW) -> TurnDecision:
    return evaluate_turn(c, agency_id=AGENCY, now=now, window=window, already_used=used)


def test_ok_at_the_slot() -> None:
    c = claims()
    d = decide(c, SLOT)
    assert d.outcome is TurnOutcome.OK
    assert d.ok
    assert d.claims is c
    assert d.come_back_at is None


def test_window_edges_are_inclusive() -> None:
    c = claims()
    opens = SLOT - timedelta(minutes=30)
    closes = SLOT + timedelta(minutes=15)
    assert decide(c, opens).outcome is TurnOutcome.OK
    assert decide(c, closes).outcome is TurnOutcome.OK
    early = decide(c, opens - US)
    assert early.outcome is TurnOutcome.TOO_EARLY
    assert not early.ok
    assert early.come_back_at == opens
    late = decide(c, closes + US)
    assert late.outcome is TurnOutcome.TOO_LATE
    assert late.come_back_at is None


def test_come_back_at_is_in_the_kiosk_timezone() -> None:
    utc_slot = SLOT.astimezone(UTC)  # 15:00Z
    d = decide(claims(slot=utc_slot), datetime(2026, 11, 25, 8, 0, tzinfo=GYE))
    assert d.outcome is TurnOutcome.TOO_EARLY
    assert d.come_back_at == SLOT - timedelta(minutes=30)
    assert d.come_back_at is not None and d.come_back_at.utcoffset() == timedelta(hours=-5)
    assert (d.come_back_at.hour, d.come_back_at.minute) == (9, 30)


def test_window_of_zero_minutes_accepts_only_the_slot_itself() -> None:
    c = claims()
    w = ArrivalWindow(0, 0)
    assert decide(c, SLOT, window=w).ok
    assert decide(c, SLOT - US, window=w).outcome is TurnOutcome.TOO_EARLY
    assert decide(c, SLOT + US, window=w).outcome is TurnOutcome.TOO_LATE


def test_other_agency_comes_first() -> None:
    c = claims(agency="CAU-GUAYAQUIL")
    # even when it is also used, other day and too late: the most fundamental reason wins
    d = decide(c, SLOT + timedelta(days=1), used=True)
    assert d.outcome is TurnOutcome.OTHER_AGENCY
    assert d.claims is c


def test_already_used_before_day_and_window() -> None:
    assert decide(claims(), SLOT, used=True).outcome is TurnOutcome.ALREADY_USED
    early = SLOT - timedelta(hours=3)
    assert decide(claims(), early, used=True).outcome is TurnOutcome.ALREADY_USED


@pytest.mark.parametrize("days", [-1, 1, 7])
def test_other_day(days: int) -> None:
    now = SLOT + timedelta(days=days)
    assert decide(claims(), now).outcome is TurnOutcome.OTHER_DAY


def test_day_is_judged_in_the_kiosk_timezone_not_utc() -> None:
    # 21:00 in Guayaquil on the 25th is 02:00Z on the 26th: still "today" for the kiosk
    evening_slot_utc = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    now = datetime(2026, 11, 25, 20, 50, tzinfo=GYE)
    c = claims(slot=evening_slot_utc, expires=evening_slot_utc + timedelta(hours=2))
    assert decide(c, now).outcome is TurnOutcome.OK
    # 22:00 on the 24th in Guayaquil is 03:00Z on the 25th: the UTC date matches, but it is
    # yesterday for the citizen
    yesterday_slot_utc = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    c = claims(slot=yesterday_slot_utc, expires=yesterday_slot_utc + timedelta(days=2))
    assert decide(c, datetime(2026, 11, 25, 9, 0, tzinfo=GYE)).outcome is TurnOutcome.OTHER_DAY


def test_expired_at_and_after_the_expiry() -> None:
    expires = SLOT + timedelta(minutes=5)
    c = claims(expires=expires)
    assert decide(c, expires - US).ok
    assert decide(c, expires).outcome is TurnOutcome.EXPIRED
    assert decide(c, expires + timedelta(minutes=1)).outcome is TurnOutcome.EXPIRED


def test_code_outcomes_are_not_ok() -> None:
    for outcome in TurnOutcome:
        assert TurnDecision(outcome).ok is (outcome is TurnOutcome.OK)


def test_id_check_digest_binds_turn_and_last_digits() -> None:
    digest = id_check_digest("T-0001", "1710034065")
    assert len(digest) == 8
    int(digest, 16)
    assert digest == id_check_digest("T-0001", "4065")  # only the last digits matter
    assert digest == id_check_digest("T-0001", " 1710034065 ")
    assert digest != id_check_digest("T-0002", "1710034065")  # keyed by the turn
    assert digest != id_check_digest("T-0001", "1710034066")
    assert ID_SUFFIX_DIGITS == 4


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("4065", True), ("4066", False), ("0654", False), ("065", False), ("34065", False),
     ("40a5", False), ("", False)],
)
def test_identity_matches(typed: str, expected: bool) -> None:
    assert identity_matches(claims(), typed) is expected


def test_claims_repr_hides_the_identity_binding() -> None:
    c = claims()
    assert c.id_check not in repr(c)
    assert "1710034065" not in repr(c)
    assert "65" not in repr(c).split("slot=")[0]  # no id_hint before the timestamp


def test_digest_uses_the_digits_the_citizen_can_type() -> None:
    # the confirmation keypad has digits only: a code ending in letters binds to its last digits
    code_turn = TurnClaims(
        turn_id="T-9", agency_id=AGENCY, tramite_id="codigo-extranjeros", slot_start=SLOT,
        expires_at=SLOT + timedelta(hours=1), id_check=id_check_digest("T-9", "EXT1234AB"),
        id_hint="AB",
    )
    assert identity_matches(code_turn, "1234")
    assert not identity_matches(code_turn, "0000")
    assert id_check_digest("T-1", "171003406-5") == id_check_digest("T-1", "1710034065")
