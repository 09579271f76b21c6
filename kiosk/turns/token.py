"""Signed turn confirmations: the text inside the QR of the "Confirmación del Turno en Línea".

Modelled on the EU Digital COVID Certificate (versioned prefix, compact binary, signature, key id,
base45), but smaller: a CBOR/COSE envelope costs ~40 bytes a phone camera has to read for nothing.

    IESS1:<base45( payload || ed25519_signature(b"IESS1:" || payload) )>

Payload v1, in order:

    kid str | turn_id str | agency_id str | tramite_id str |
    slot_start u32 (Unix minutes) | expires_at u16 (minutes after slot_start) |
    id_check str | id_hint str

``str`` is one header byte (mode in bits 7-6, length in bits 5-0) and a body in the most compact
mode that carries the value — which makes the encoding canonical (the decoder refuses any other):
hex (lowercase even-length hex, 2 chars per byte: turn ids, key ids, digests), base40 lower or
upper case (``[0-9a-z-_./]``, 3 chars per 2 bytes, length counted in chars: agency and trámite
ids), or UTF-8. Times are carried to the minute (slots are minute-aligned; saves 4 bytes).

The signature (64 bytes) is most of the token. The text uses only QR alphanumeric characters
(5.5 bits per char), so it makes a smaller QR than base64url's shorter text in byte mode (8 bits
per char): "ag-01"/"sgrt-cert" → ~155 chars, version 7-M; "CAU-QUITO-CENTRO"/"codigo-extranjeros"
→ ~180 chars, version 8-M (49 modules: 0.7 mm per module in a 35 mm square).
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


# A field's header byte: mode in bits 7-6, length in bits 5-0 (bytes; characters for base40).
_UTF8, _HEX, _B40_LOWER, _B40_UPPER = 0, 1, 2, 3
_B40_LOWER_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz-_./"
_B40_UPPER_CHARS = _B40_LOWER_CHARS.upper()
_B40_INDEX = {c: i for i, c in enumerate(_B40_LOWER_CHARS)} | {
    c: i for i, c in enumerate(_B40_UPPER_CHARS)
}
_MAX_FIELD = 0x3F


def _mode_for(value: str) -> int:
    """The one (canonical) encoding of a value: the most compact that can carry it."""
    if not value:
        return _UTF8
    if _HEX_RE.match(value):
        return _HEX  # 2 chars per byte: turn ids, key ids, digests, "78"
    if all(c in _B40_LOWER_CHARS for c in value):
        return _B40_LOWER  # 3 chars per 2 bytes: "codigo-extranjeros"
    if all(c in _B40_UPPER_CHARS for c in value):
        return _B40_UPPER  # "CAU-QUITO-CENTRO"
    return _UTF8


def _b40_pack(value: str) -> bytes:
    out = bytearray()
    digits = [_B40_INDEX[c] for c in value]
    for i in range(0, len(digits), 3):
        group = digits[i : i + 3]
        n = 0
        for d in group:
            n = n * 40 + d
        out += n.to_bytes(len(group) if len(group) < 3 else 2, "big")
    return bytes(out)


def _b40_unpack(body: bytes, chars: int, alphabet: str) -> str:
    out: list[str] = []
    pos = 0
    for i in range(0, chars, 3):
        size = min(3, chars - i)
        width = size if size < 3 else 2
        n = int.from_bytes(body[pos : pos + width], "big")
        pos += width
        if n >= 40**size:
            raise ValueError("base40 group out of range")
        group = []
        for _ in range(size):
            n, d = divmod(n, 40)
            group.append(alphabet[d])
        out += reversed(group)
    return "".join(out)


def _b40_size(chars: int) -> int:
    return 2 * (chars // 3) + (chars % 3)


def _pack_str(value: str) -> bytes:
    mode = _mode_for(value)
    if mode == _HEX:
        body, length = bytes.fromhex(value), len(value) // 2
    elif mode in (_B40_LOWER, _B40_UPPER):
        body, length = _b40_pack(value), len(value)
    else:
        body = value.encode("utf-8")
        length = len(body)
    if length > _MAX_FIELD:
        raise ValueError("field too long for a turn token")
    return bytes([mode << 6 | length]) + body


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
        mode, length = header >> 6, header & _MAX_FIELD
        if mode == _HEX:
            text = self.take(length).hex()
        elif mode == _B40_LOWER:
            text = _b40_unpack(self.take(_b40_size(length)), length, _B40_LOWER_CHARS)
        elif mode == _B40_UPPER:
            text = _b40_unpack(self.take(_b40_size(length)), length, _B40_UPPER_CHARS)
        else:
            text = self.take(length).decode("utf-8")  # UnicodeDecodeError is a ValueError
        if _mode_for(text) != mode:
            raise ValueError("non-canonical field")  # exactly one encoding per value
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
