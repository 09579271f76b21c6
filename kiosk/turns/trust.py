"""Trust list (public keys the kiosk accepts) and the central service's key store.

The central service signs with its *current* key; after a rotation the old keys stay in the
trust list until ``not_after`` (set to when the last token they signed expires), so kiosks
keep verifying confirmations issued before the rotation.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALG_ED25519 = "Ed25519"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat()


def _parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError("trust-list times must carry a timezone")
    return dt


@dataclass(frozen=True)
class TrustedKey:
    kid: str
    public_key: bytes  # raw 32-byte Ed25519 public key
    alg: str = ALG_ED25519
    not_after: datetime | None = None  # None: the current key, no end yet

    def valid_at(self, now: datetime) -> bool:
        return self.not_after is None or now <= self.not_after

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "public_key": b64url(self.public_key),
            "not_after": _iso(self.not_after),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrustedKey:
        return cls(
            kid=str(data["kid"]),
            alg=str(data["alg"]),
            public_key=unb64url(str(data["public_key"])),
            not_after=_parse_iso(data.get("not_after")),
        )


@dataclass(frozen=True)
class TrustList:
    keys: dict[str, TrustedKey] = field(default_factory=dict)
    issued_at: datetime | None = None

    def get(self, kid: str) -> TrustedKey | None:
        return self.keys.get(kid)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self.keys.values())

    def __len__(self) -> int:
        return len(self.keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "keys": [k.to_json() for k in self.keys.values()],
            "issued_at": _iso(self.issued_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrustList:
        """Parse the central's JSON; raises ValueError on anything unexpected."""
        try:
            keys = [TrustedKey.from_json(k) for k in data["keys"]]
            issued = _parse_iso(data.get("issued_at"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"invalid trust list: {exc!r}") from None
        for k in keys:
            if k.alg == ALG_ED25519 and len(k.public_key) != 32:
                raise ValueError(f"invalid trust list: bad key length for {k.kid!r}")
        return cls({k.kid: k for k in keys}, issued)

    def save(self, path: Path) -> None:
        """Atomic write: a crash leaves either the old cache or the new one, never half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".trust-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @classmethod
    def load(cls, path: Path) -> TrustList:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(kid={self.kid!r})"

    @property
    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        return cls(kid, Ed25519PrivateKey.generate())


class KeyStore:
    """The central's signing keys: ``<kid>.pem`` (mode 0600), ``<kid>.json`` meta, ``current``."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)

    def _kids(self) -> list[str]:
        return sorted(p.stem for p in self.dir.glob("*.pem"))

    def _meta(self, kid: str) -> dict[str, Any]:
        path = self.dir / f"{kid}.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def _write_meta(self, kid: str, meta: dict[str, Any]) -> None:
        tmp = self.dir / f".{kid}.json.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, self.dir / f"{kid}.json")

    def generate(self) -> str:
        """Create a new key and make it current; returns its kid."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        kid = secrets.token_hex(3)  # 6 hex chars = 3 bytes in the token
        while (self.dir / f"{kid}.pem").exists():
            kid = secrets.token_hex(3)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self.dir / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        self._write_meta(kid, {"created_at": _iso(datetime.now(UTC)), "not_after": None})
        tmp = self.dir / ".current.tmp"
        tmp.write_text(kid)
        os.replace(tmp, self.dir / "current")
        return kid

    def ensure(self) -> str:
        """The current kid, generating a first key on a fresh machine."""
        current = self.dir / "current"
        if current.exists():
            return current.read_text().strip()
        return self.generate()

    def rotate(self, retire_after: timedelta = timedelta(days=60)) -> str:
        """New current key; the old one stays trusted for ``retire_after`` (longest token life)."""
        old = self.ensure()
        new = self.generate()
        meta = self._meta(old)
        meta["not_after"] = _iso(datetime.now(UTC) + retire_after)
        self._write_meta(old, meta)
        return new

    def signing_key(self) -> SigningKey:
        kid = self.ensure()
        key = serialization.load_pem_private_key((self.dir / f"{kid}.pem").read_bytes(), None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"key {kid} is not Ed25519")
        return SigningKey(kid, key)

    def trust_list(self, now: datetime | None = None) -> TrustList:
        now = now or datetime.now(UTC)
        self.ensure()
        keys: dict[str, TrustedKey] = {}
        for kid in self._kids():
            not_after = _parse_iso(self._meta(kid).get("not_after"))
            if not_after is not None and not_after < now:
                continue
            key = serialization.load_pem_private_key((self.dir / f"{kid}.pem").read_bytes(), None)
            assert isinstance(key, Ed25519PrivateKey)
            raw = key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            keys[kid] = TrustedKey(kid, raw, ALG_ED25519, not_after)
        return TrustList(keys, now)
