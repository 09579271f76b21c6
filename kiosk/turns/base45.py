"""Base45 (RFC 9285): the alphabet of QR alphanumeric mode, so a QR encodes it at 5.5 bits/char."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def b45encode(data: bytes) -> str:
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = divmod(n, 45 * 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[d], ALPHABET[e], ALPHABET[c])
    if len(data) % 2:
        e, d = divmod(data[-1], 45)
        out += (ALPHABET[d], ALPHABET[e])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Strict decoder: raises ValueError on any character or length outside RFC 9285."""
    try:
        digits = [_INDEX[c] for c in text]
    except KeyError:
        raise ValueError("not base45") from None
    if len(digits) % 3 == 1:
        raise ValueError("bad base45 length")
    out = bytearray()
    for i in range(0, len(digits), 3):
        chunk = digits[i : i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 45 * 45
            if n > 0xFFFF:
                raise ValueError("base45 triplet out of range")
            out += n.to_bytes(2, "big")
        else:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise ValueError("base45 pair out of range")
            out.append(n)
    return bytes(out)
