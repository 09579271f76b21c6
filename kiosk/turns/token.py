"""Signed turn confirmations: the text inside the QR of the "Confirmación del Turno en Línea".

Modelled on the EU Digital COVID Certificate (versioned prefix, compact binary, signature, key id,
base45), but smaller: a CBOR/COSE envelope costs ~40 bytes a phone camera has to read for nothing.

    IESS1:<base45( payload || ed25519_signature(b"IESS1:" || payload) )>

Payload v1, in order (``str`` = 1 header byte + body; header bit 7 set means the body is a
lowercase hex string packed two digits per byte, bits 0-6 are the body length in bytes):

    kid str | turn_id str | agency_id str | tramite_id str |
    slot_start u32 (Unix minutes) | expires_at u16 (minutes after slot_start) |
    id_check str | id_hint str

Times are carried to the minute (slots are minute-aligned; this saves 4 bytes). The whole string
uses only QR alphanumeric characters, so a typical token (~170 chars) fits a version 7-M QR, one
version smaller than the same bytes in base64url (~150 chars, byte mode).
The signature covers the prefix too, so the version cannot be swapped.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.turns import TurnClaims, TurnOutcome
from kiosk.turns.base45 import b45decode, b45encode
from kiosk.turns.trust import ALG_ED25519, SigningKey, TrustList

PREFIX_FAMILY = "IESS"
VERSION = 1
PREFIX = f"{PREFIX_FAMILY}{VERSION}:"
SIGNATURE_BYTES = 64
_PREFIX_RE = re.compile(r"^IESS(\d{1,3}):")
_HEX_RE = re.compile(r"^(?:[0-9a-f]{2})+$")
_MAX_TEXT = 1024  # far above any real token; bounds work on hostile input

__all__ = ["PREFIX", "SigningKey", "TokenError", "decode_token", "encode_token"]


class TokenError(Exception):
    """A confirmation that must not be accepted; ``outcome`` says why (for the message)."""

    def __init__(self, outcome: TurnOutcome, detail: str = "") -> None:
        super().__init__(f"{outcome.value}: {detail}" if detail else outcome.value)
        self.outcome = outcome
        self.detail = detail


# ---------------------------------------------------------------- binary packing


def _pack_str(value: str) -> bytes:
    if value and _HEX_RE.match(value):
        body = bytes.fromhex(value)
        flag = 0x80
    else:
        body = value.encode("utf-8")
        flag = 0
    if len(body) > 0x7F:
        raise ValueError("field too long for a turn token")
    return bytes([flag | len(body)]) + body


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def str_(self) -> str:
        header = self.take(1)[0]
        body = self.take(header & 0x7F)
        if header & 0x80:
            if not body:
                raise ValueError("empty hex field")
            return body.hex()
        text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
        if text and _HEX_RE.match(text):
            raise ValueError("non-canonical field")  # hex must be packed: one encoding per value
        return text

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])


def _minutes(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("turn times must be timezone-aware")
    ts = dt.timestamp()
    if ts % 60:
        raise ValueError("turn times are carried to the minute")
    return int(ts // 60)


def _pack_payload(claims: TurnClaims, kid: str) -> bytes:
    slot = _minutes(claims.slot_start)
    expires_after = _minutes(claims.expires_at) - slot
    if not 0 <= slot <= 0xFFFFFFFF:
        raise ValueError("slot_start out of range")
    if not 0 <= expires_after <= 0xFFFF:
        raise ValueError("expires_at must be 0..45 days after slot_start")
    return b"".join(
        (
            _pack_str(kid),
            _pack_str(claims.turn_id),
            _pack_str(claims.agency_id),
            _pack_str(claims.tramite_id),
            struct.pack(">IH", slot, expires_after),
            _pack_str(claims.id_check),
            _pack_str(claims.id_hint),
        )
    )


def _unpack_payload(payload: bytes) -> TurnClaims:
    r = _Reader(payload)
    kid = r.str_()
    turn_id, agency_id, tramite_id = r.str_(), r.str_(), r.str_()
    slot = r.u32()
    expires_after = r.u16()
    id_check, id_hint = r.str_(), r.str_()
    if r.pos != len(payload):
        raise ValueError("trailing bytes")
    slot_start = datetime.fromtimestamp(slot * 60, UTC)
    return TurnClaims(
        turn_id=turn_id,
        agency_id=agency_id,
        tramite_id=tramite_id,
        slot_start=slot_start,
        expires_at=slot_start + timedelta(minutes=expires_after),
        id_check=id_check,
        id_hint=id_hint,
        key_id=kid,
    )


# ---------------------------------------------------------------- public API


def encode_token(claims: TurnClaims, key: SigningKey) -> str:
    """Sign ``claims`` with ``key``; ``claims.key_id`` is ignored (the key's kid is used)."""
    payload = _pack_payload(claims, key.kid)
    signature = key.private_key.sign(PREFIX.encode() + payload)
    return PREFIX + b45encode(payload + signature)


def decode_token(text: str, trust: TrustList) -> TurnClaims:
    """Verify a token offline against ``trust``. Raises only TokenError."""
    if not isinstance(text, str):
        raise TokenError(TurnOutcome.NOT_IESS, "not text")
    text = text.strip()
    if not text.startswith(PREFIX_FAMILY):
        raise TokenError(TurnOutcome.NOT_IESS)
    match = _PREFIX_RE.match(text)
    if match is None:
        raise TokenError(TurnOutcome.MALFORMED, "bad prefix")
    if int(match.group(1)) != VERSION:
        raise TokenError(TurnOutcome.UNSUPPORTED_VERSION, f"version {match.group(1)}")
    if len(text) > _MAX_TEXT:
        raise TokenError(TurnOutcome.MALFORMED, "too long")
    try:
        raw = b45decode(text[match.end() :])
        if len(raw) <= SIGNATURE_BYTES:
            raise ValueError("too short")
        payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
        claims = _unpack_payload(payload)
    except (ValueError, OverflowError, OSError) as exc:
        raise TokenError(TurnOutcome.MALFORMED, type(exc).__name__) from None
    trusted = trust.get(claims.key_id)
    if trusted is None or trusted.alg != ALG_ED25519:
        raise TokenError(TurnOutcome.UNKNOWN_KEY, f"kid {claims.key_id!r}")
    try:
        Ed25519PublicKey.from_public_bytes(trusted.public_key).verify(
            signature, PREFIX.encode() + payload
        )
    except (InvalidSignature, ValueError):
        raise TokenError(TurnOutcome.ALTERED, "bad signature") from None
    return claims
