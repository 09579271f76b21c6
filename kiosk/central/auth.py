"""Credentials: random bearer secrets, stored only as SHA-256 (they are 256-bit random, so a
plain hash is enough — there is nothing to brute-force as with passwords)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_credential() -> str:
    return secrets.token_urlsafe(32)


def hash_credential(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def credential_matches(credential: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_credential(credential), stored_hash)


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
