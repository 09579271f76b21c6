"""Trust list, key store and the kiosk-side check with its messages."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.turns import ArrivalWindow, TurnClaims, TurnOutcome, id_check_digest
from kiosk.i18n import Translator
from kiosk.turns import KeyStore, TrustList, TurnVerifier, check_turn, encode_token, turn_message

QUITO = ZoneInfo("America/Guayaquil")
SLOT = datetime(2026, 11, 26, 10, 0, tzinfo=QUITO)


def make_claims(turn_id: str = "00aa11bb22cc33dd", **over: object) -> TurnClaims:
    base: dict[str, object] = {
        "turn_id": turn_id,
        "agency_id": "cau-uio",
        "tramite_id": "cod-ext",
        "slot_start": SLOT,
        "expires_at": SLOT + timedelta(hours=2),
        "id_check": id_check_digest(turn_id, "1712345678"),
        "id_hint": "78",
    }
    base.update(over)
    return TurnClaims(**base)  # type: ignore[arg-type]


def test_keystore_files_are_private_and_rotation_keeps_old_keys(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.ensure()
    assert stat.S_IMODE((tmp_path / "keys" / f"{first}.pem").stat().st_mode) == 0o600
    old_token = encode_token(make_claims(), store.signing_key())
    second = store.rotate(timedelta(days=30))
    assert second != first and store.signing_key().kid == second
    trust = store.trust_list()
    assert {first, second} <= set(trust.keys)
    assert trust.keys[first].not_after is not None and trust.keys[second].not_after is None
    # tokens signed before the rotation still verify
    decision = check_turn(
        old_token,
        trust=trust,
        agency_id="cau-uio",
        now=SLOT,
        window=ArrivalWindow(),
        is_used=lambda _t: False,
    )
    assert decision.ok
    # once retired, the old key leaves the trust list
    later = store.trust_list(datetime.now(UTC) + timedelta(days=31))
    assert set(later.keys) == {second}


def test_trust_list_json_and_atomic_cache(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    trust = store.trust_list()
    cache = tmp_path / "cache" / "trust.json"
    trust.save(cache)
    assert TrustList.load(cache) == trust
    assert json.loads(cache.read_text())["keys"][0]["alg"] == "Ed25519"
    assert not [p for p in cache.parent.iterdir() if p.name.startswith(".trust-")]  # no temp left
    with pytest.raises(ValueError):
        TrustList.from_json({"keys": [{"kid": "x", "alg": "Ed25519", "public_key": "AAAA"}]})
    with pytest.raises(ValueError):
        TrustList.from_json({"nokeys": []})


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


@pytest.mark.parametrize(
    ("now", "agency", "used", "expected"),
    [
        (SLOT - timedelta(minutes=10), "cau-uio", False, TurnOutcome.OK),
        (SLOT, "cau-gye", False, TurnOutcome.OTHER_AGENCY),
        (SLOT - timedelta(days=1), "cau-uio", False, TurnOutcome.OTHER_DAY),
        (SLOT - timedelta(hours=1), "cau-uio", False, TurnOutcome.TOO_EARLY),
        (SLOT + timedelta(minutes=40), "cau-uio", False, TurnOutcome.TOO_LATE),
        (SLOT + timedelta(hours=3), "cau-uio", False, TurnOutcome.EXPIRED),
        (SLOT, "cau-uio", True, TurnOutcome.ALREADY_USED),
    ],
)
def test_check_turn_outcomes(
    keys: KeyStore, now: datetime, agency: str, used: bool, expected: TurnOutcome
) -> None:
    token = encode_token(make_claims(), keys.signing_key())
    verifier = TurnVerifier(keys.trust_list(), lambda _t: used, lambda: now, agency)
    decision = verifier.check(token)

    class FixedClock:  # the kiosk.domain.ports.Clock shape works too
        def now(self) -> datetime:
            return now

        def monotonic(self) -> float:
            return 0.0

    assert (
        TurnVerifier(keys.trust_list(), lambda _t: used, FixedClock(), agency).check(token).outcome
        is decision.outcome
    )
    assert decision.outcome is expected
    if expected is TurnOutcome.TOO_EARLY:
        assert decision.come_back_at == SLOT - timedelta(minutes=30)


def test_unreadable_and_retired_key(keys: KeyStore) -> None:
    trust = keys.trust_list()
    args = {
        "trust": trust,
        "agency_id": "cau-uio",
        "now": SLOT,
        "window": ArrivalWindow(),
        "is_used": lambda _t: False,
    }
    assert check_turn(None, **args).outcome is TurnOutcome.UNREADABLE  # type: ignore[arg-type]
    assert check_turn("  ", **args).outcome is TurnOutcome.UNREADABLE  # type: ignore[arg-type]
    token = encode_token(make_claims(), keys.signing_key())
    kid = keys.signing_key().kid
    retired = TrustList(
        {
            kid: type(trust.keys[kid])(
                kid, trust.keys[kid].public_key, not_after=SLOT - timedelta(days=1)
            )
        }
    )
    args["trust"] = retired
    assert check_turn(token, **args).outcome is TurnOutcome.UNKNOWN_KEY  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_outcome_has_a_message_and_a_next_step(language: str) -> None:
    from kiosk.domain.turns import TurnDecision

    t = Translator(language)
    for outcome in TurnOutcome:
        decision = TurnDecision(
            outcome, come_back_at=SLOT if outcome is TurnOutcome.TOO_EARLY else None
        )
        message, step = turn_message(decision, t)
        assert message and step and "{" not in message + step
    message, step = turn_message(TurnDecision(TurnOutcome.TOO_EARLY, come_back_at=SLOT), t)
    assert "10:00" in step


def test_catalogues_have_the_same_keys() -> None:
    root = Path(__file__).resolve().parents[3] / "resources" / "i18n"
    es = json.loads((root / "es" / "turn.json").read_text())
    en = json.loads((root / "en" / "turn.json").read_text())
    assert es.keys() == en.keys()
    assert {o.value for o in TurnOutcome} | {f"{o.value}_next" for o in TurnOutcome} == set(es)


def test_refusals_log_no_token_or_personal_data(
    keys: KeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    token = encode_token(make_claims(), keys.signing_key())
    broken = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with caplog.at_level("INFO", logger="kiosk.turns"):
        check_turn(
            broken,
            trust=keys.trust_list(),
            agency_id="cau-uio",
            now=SLOT,
            window=ArrivalWindow(),
            is_used=lambda _t: False,
        )
    text = caplog.text
    assert "turn refused" in text
    assert token[6:30] not in text and "1712345678" not in text
