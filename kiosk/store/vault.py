"""Encryption at rest of captured documents, and durable file writes.

Each document is one file `<document_id>.kcd`: MAGIC | 12-byte random nonce | AES-256-GCM
ciphertext, with the document id as associated data, so a file renamed onto another document's
id fails authentication instead of showing the wrong citizen's papers. The key lives in its own
file, outside the database, readable only by the kiosk's user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.store.errors import DocumentUnreadableError, StoreError

MAGIC = b"KCD1"
NONCE_BYTES = 12
KEY_BYTES = 32


def fsync_dir(path: Path) -> None:
    """Make a rename/creation in `path` durable (POSIX needs the directory fsynced too)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write to a temp file in the same dir, fsync, rename over `path`, fsync the dir.

    Readers see either the old or the new content, never a torn file, even after kill -9 or a
    power cut.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def load_or_create_key(key_path: Path) -> bytes:
    """Read the 256-bit document key, creating it (mode 0600) on first use."""
    try:
        key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not key_path.exists():
            key = AESGCM.generate_key(bit_length=256)
            try:
                fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first: use theirs
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key)
                    fh.flush()
                    os.fsync(fh.fileno())
                fsync_dir(key_path.parent)
        if key_path.stat().st_mode & 0o077:  # readable by others: tighten, it is the key
            os.chmod(key_path, 0o600)
        key = key_path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read or create the document key file {key_path}: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"document key file {key_path} is corrupt ({len(key)} bytes, expected {KEY_BYTES})"
        )
    return key


class DocumentVault:
    """Encrypted document files in one directory."""

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self._aead = AESGCM(key)

    def __repr__(self) -> str:  # never show the key
        return f"DocumentVault({str(self.directory)!r})"

    @staticmethod
    def file_name(document_id: str) -> str:
        return f"{document_id}.kcd"

    def path(self, file_name: str) -> Path:
        return self.directory / file_name

    def write(self, document_id: str, plaintext: bytes) -> str:
        """Encrypt and durably write one document; return its file name."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        blob = MAGIC + nonce + self._aead.encrypt(nonce, plaintext, document_id.encode())
        name = self.file_name(document_id)
        atomic_write(self.directory / name, blob)
        return name

    def read(self, document_id: str, file_name: str) -> bytes:
        try:
            blob = self.path(file_name).read_bytes()
        except FileNotFoundError:
            raise DocumentUnreadableError(document_id, "the encrypted file is missing") from None
        except OSError as exc:
            raise DocumentUnreadableError(document_id, f"cannot read the file: {exc}") from exc
        if len(blob) < len(MAGIC) + NONCE_BYTES + 16 or not blob.startswith(MAGIC):
            raise DocumentUnreadableError(document_id, "not an encrypted kiosk document")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], document_id.encode())
        except InvalidTag:
            raise DocumentUnreadableError(
                document_id, "authentication failed (file corrupt or tampered, or wrong key)"
            ) from None

    def delete(self, file_name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(file_name).unlink()
