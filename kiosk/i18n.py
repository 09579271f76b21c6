"""One string catalogue for every user-facing text (screens, receipts, messages).

Messages live in resources/i18n/<lang>/<namespace>.json as {"key": "text with {placeholders}"};
a key is "<namespace>.<key>", e.g. t("receipt.your_turn"). Spanish is the reference language: a key
missing in another language falls back to Spanish, and a key missing in Spanish is a bug that
tests/unit/test_i18n.py catches. Namespaces are separate files so that each subsystem owns its own.
Qt-free on purpose: the receipt printer and the central service use it too.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.i18n")

I18N_DIR = Path(__file__).resolve().parent.parent / "resources" / "i18n"
DEFAULT_LANGUAGE = "es"
LANGUAGES: dict[str, str] = {"es": "Español", "en": "English", "qu": "Kichwa"}


class MissingMessage(KeyError):  # noqa: N818 - public name, used by others
    pass


@lru_cache(maxsize=8)
def _load(language: str, root: Path = I18N_DIR) -> dict[str, str]:
    messages: dict[str, str] = {}
    folder = root / language
    if not folder.is_dir():
        return messages
    for path in sorted(folder.glob("*.json")):
        namespace = path.stem
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: must be an object of key: text")
        for key, text in data.items():
            if not isinstance(text, str):
                raise ValueError(f"{path}: value of {key!r} must be a string")
            messages[f"{namespace}.{key}"] = text
    return messages


class Translator:
    def __init__(self, language: str = DEFAULT_LANGUAGE, root: Path = I18N_DIR) -> None:
        self.root = root
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._reference = _load(DEFAULT_LANGUAGE, root)
        self._messages = _load(self.language, root)

    def __call__(self, key: str, **values: Any) -> str:
        return self.t(key, **values)

    def t(self, key: str, **values: Any) -> str:
        text = self._messages.get(key) or self._reference.get(key)
        if text is None:
            raise MissingMessage(key)
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            reference = self._reference.get(key)
            if reference is None or reference == text:
                raise
            # a translation with a wrong placeholder must not take a screen down: use Spanish
            log.warning("message %r in %r does not format; using Spanish", key, self.language)
            return reference.format(**values)

    def has(self, key: str) -> bool:
        return key in self._reference

    def keys(self) -> set[str]:
        return set(self._reference)


_current: Translator | None = None  # created on first use: importing this module reads no file


def set_language(language: str) -> Translator:
    global _current
    _current = Translator(language)
    return _current


def current() -> Translator:
    global _current
    if _current is None:
        _current = Translator()
    return _current


def t(key: str, **values: Any) -> str:
    """Translate with the current language (the visit's choice, reset to Spanish after it)."""
    return current().t(key, **values)
