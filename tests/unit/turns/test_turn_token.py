"""Turn confirmation tokens: format, verification outcomes, and a parser that never misbehaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.domain.turns import TurnClaims, TurnOutcome, id_check_digest
from kiosk.turns.base45 import b45decode, b45encode
from kiosk.turns.token import PREFIX, TokenError, decode_token, encode_token
from kiosk.turns.trust import SigningKey, TrustedKey, TrustList

KEY = SigningKey.generate("a1b2c3")
OTHER = SigningKey.generate("a1b2c3")  # same kid, different key: a forger's guess
TRUST = TrustList({KEY.kid: TrustedKey(KEY.kid, KEY.public_raw)})
SLOT = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def claims(**over: object) -> TurnClaims:
    base: dict[str, object] = {
        "turn_id": "3f9a1c0b7d2e4a61",
        "agency_id": "cau-quito-norte",
        "tramite_id": "cod-ext",
        "slot_start": SLOT,
        "expires_at": SLOT + timedelta(hours=2),
        "id_check": id_check_digest("3f9a1c0b7d2e4a61", "1712345678"),
        "id_hint": "78",
    }
    base.update(over)
    return TurnClaims(**base)  # type: ignore[arg-type]


def test_round_trip_and_kid() -> None:
    token = encode_token(claims(), KEY)
    assert token.startswith(PREFIX)
    got = decode_token(token, TRUST)
    assert got == claims(key_id=KEY.kid)
    assert "1712345678" not in token and "5678" not in token  # no ID number inside


@pytest.mark.parametrize(
    ("agency", "tramite", "max_chars", "max_version"),
    [
        ("ag-01", "sgrt-cert", 160, 7),
        ("CAU-QUITO-CENTRO", "codigo-extranjeros", 180, 8),  # the ids the demo uses
        ("CAU-QUITO-CENTRO", "certificado-atencion-medica-sgrt", 195, 8),
    ],
)
def test_fits_a_small_qr(agency: str, tramite: str, max_chars: int, max_version: int) -> None:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    token = encode_token(claims(agency_id=agency, tramite_id=tramite), KEY)
    assert len(token) <= max_chars
    # only QR alphanumeric characters: encoded at 5.5 bits per character
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(token)
    qr.make(fit=True)
    assert qr.version <= max_version  # version 8 = 49 modules: 0.7 mm per module at 35 mm


@given(st.text(max_size=15) | st.from_regex(r"[0-9a-zA-Z./_-]{0,40}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_property_field_packing_round_trips_canonically(value: str) -> None:
    from kiosk.turns.token import _pack_str, _Reader

    packed = _pack_str(value)
    reader = _Reader(packed)
    assert reader.str_() == value and reader.pos == len(packed)


def test_foreign_qr_is_not_iess() -> None:
    for text in ("https://example.com/x", "HC1:6BFOXN", "", "iess1:abc", "WIFI:S:x;;"):
        with pytest.raises(TokenError) as err:
            decode_token(text, TRUST)
        assert err.value.outcome is TurnOutcome.NOT_IESS


def test_future_version_is_unsupported() -> None:
    token = encode_token(claims(), KEY)
    with pytest.raises(TokenError) as err:
        decode_token("IESS2:" + token[len(PREFIX) :], TRUST)
    assert err.value.outcome is TurnOutcome.UNSUPPORTED_VERSION


@pytest.mark.parametrize(
    "text", ["IESS1:", "IESS1:AB", "IESS1:abc", "IESSX:00", "IESS1:" + "0" * 30]
)
def test_broken_payload_is_malformed(text: str) -> None:
    with pytest.raises(TokenError) as err:
        decode_token(text, TRUST)
    assert err.value.outcome is TurnOutcome.MALFORMED


def test_unknown_key() -> None:
    token = encode_token(claims(), SigningKey.generate("ffffff"))
    with pytest.raises(TokenError) as err:
        decode_token(token, TRUST)
    assert err.value.outcome is TurnOutcome.UNKNOWN_KEY


def test_forged_signature_is_altered() -> None:
    with pytest.raises(TokenError) as err:
        decode_token(encode_token(claims(), OTHER), TRUST)
    assert err.value.outcome is TurnOutcome.ALTERED


def test_altered_claims_are_refused() -> None:
    """Re-pack the payload with another agency but keep the genuine signature."""
    genuine = b45decode(encode_token(claims(), KEY)[len(PREFIX) :])
    other = b45decode(encode_token(claims(agency_id="cau-guayaquil"), OTHER)[len(PREFIX) :])
    franken = other[:-64] + genuine[-64:]
    with pytest.raises(TokenError) as err:
        decode_token(PREFIX + b45encode(franken), TRUST)
    assert err.value.outcome is TurnOutcome.ALTERED


def test_encode_refuses_what_it_cannot_carry() -> None:
    with pytest.raises(ValueError):
        encode_token(claims(slot_start=SLOT.replace(tzinfo=None)), KEY)
    with pytest.raises(ValueError):
        encode_token(claims(slot_start=SLOT + timedelta(seconds=30)), KEY)
    with pytest.raises(ValueError):
        encode_token(claims(tramite_id="x" * 200), KEY)


def test_base45_matches_rfc9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    for bad in ("GGW", "ZZZZ", "a"):
        with pytest.raises(ValueError):
            b45decode(bad)


# ---------------------------------------------------------------- property-based

_id = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=24)
_minute = st.integers(min_value=0, max_value=2**31).map(
    lambda m: datetime.fromtimestamp(m * 60, UTC)
)


@st.composite
def any_claims(draw: st.DrawFn) -> TurnClaims:
    slot = draw(_minute)
    return TurnClaims(
        turn_id=draw(_id),
        agency_id=draw(_id | _id.map(str.upper)),
        tramite_id=draw(st.text(min_size=1, max_size=15)),  # any Unicode survives
        slot_start=slot,
        expires_at=slot + timedelta(minutes=draw(st.integers(0, 0xFFFF))),
        id_check=draw(st.text(alphabet="0123456789abcdef", min_size=8, max_size=8)),
        id_hint=draw(st.text(alphabet="0123456789", min_size=2, max_size=2)),
    )


@given(any_claims())
@settings(max_examples=200, deadline=None)
def test_property_round_trip(c: TurnClaims) -> None:
    got = decode_token(encode_token(c, KEY), TRUST)
    assert got == TurnClaims(**{**c.__dict__, "key_id": KEY.kid})


def _mutants(token: str) -> st.SearchStrategy[str]:
    body = token[len(PREFIX) :]
    raw = b45decode(body)
    flip = st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)).map(
        lambda ib: PREFIX + b45encode(raw[: ib[0]] + bytes([raw[ib[0]] ^ ib[1]]) + raw[ib[0] + 1 :])
    )
    trunc = st.integers(0, len(token) - 1).map(lambda n: token[:n])
    char = st.tuples(st.integers(0, len(token) - 1), st.characters()).map(
        lambda ic: token[: ic[0]] + ic[1] + token[ic[0] + 1 :]
    )
    extend = st.text(min_size=1, max_size=10).map(lambda s: token + s)
    return st.one_of(flip, trunc, char, extend)


TOKEN = encode_token(claims(), KEY)


@given(_mutants(TOKEN))
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_property_any_mutation_never_verifies(text: str) -> None:
    if text.strip() == TOKEN:  # whitespace around the token is tolerated on purpose
        return
    with pytest.raises(TokenError) as err:
        decode_token(text, TRUST)
    assert err.value.outcome is not TurnOutcome.OK


@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=200).map(lambda b: PREFIX + b45encode(b)),
        st.text(max_size=200).map(lambda s: PREFIX + s),
    )
)
@settings(max_examples=500, deadline=None)
def test_property_garbage_only_raises_token_error(text: str) -> None:
    with pytest.raises(TokenError):
        decode_token(text, TRUST)
