"""The string catalogue: fallback to Spanish, missing keys, and the real resources' consistency."""

from __future__ import annotations

import io
import json
import logging
import re
import string
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from kiosk.domain.identity import IdProblem
from kiosk.domain.turns import TurnOutcome
from kiosk.i18n import I18N_DIR, LANGUAGES, MissingMessage, Translator, current, set_language, t

REPO = Path(__file__).resolve().parents[2]
KIOSK = REPO / "kiosk"


def _write(root: Path, lang: str, namespace: str, data: dict[str, object]) -> None:
    folder = root / lang
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{namespace}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _write(tmp_path, "es", "home", {"hello": "Hola", "wait": "Espere {minutes} minutos",
                                     "only_es": "Solo en español"})
    _write(tmp_path, "es", "receipt", {"title": "Comprobante"})
    _write(tmp_path, "en", "home", {"hello": "Hello", "wait": "Wait {minutes} minutes",
                                     "empty": ""})
    return tmp_path


def test_translates_in_the_chosen_language(root: Path) -> None:
    tr = Translator("en", root)
    assert tr.language == "en"
    assert tr.t("home.hello") == "Hello"
    assert tr("home.wait", minutes=5) == "Wait 5 minutes"
    assert Translator("es", root).t("home.hello") == "Hola"


def test_falls_back_to_spanish(root: Path) -> None:
    tr = Translator("en", root)
    assert tr.t("home.only_es") == "Solo en español"
    assert tr.t("receipt.title") == "Comprobante"  # a whole namespace missing in English
    qu = Translator("qu", root)  # Kichwa has no files yet
    assert qu.language == "qu"
    assert qu.t("home.hello") == "Hola"


def test_unknown_language_is_spanish(root: Path) -> None:
    tr = Translator("fr", root)
    assert tr.language == "es"
    assert tr.t("home.hello") == "Hola"


def test_missing_message(root: Path) -> None:
    tr = Translator("en", root)
    with pytest.raises(MissingMessage) as err:
        tr.t("home.nope")
    assert isinstance(err.value, KeyError)
    assert "home.nope" in str(err.value)
    with pytest.raises(MissingMessage):
        tr.t("hello")  # keys are namespaced
    # a key present only in English is still a bug: Spanish is the reference
    assert not tr.has("home.empty")
    assert tr.keys() == {"home.hello", "home.wait", "home.only_es", "receipt.title"}


def test_a_translation_with_a_wrong_placeholder_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, "es", "q", {"wait": "Espere {minutes} minutos"})
    _write(tmp_path, "en", "q", {"wait": "Wait {minuts} minutes"})
    with caplog.at_level(logging.WARNING, logger="kiosk.i18n"):
        assert Translator("en", tmp_path).t("q.wait", minutes=3) == "Espere 3 minutos"
    assert "q.wait" in caplog.text
    with pytest.raises(KeyError):  # the caller forgot a value: that stays an error
        Translator("es", tmp_path).t("q.wait", seconds=3)


def test_broken_message_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "home.json").write_text('{"hello": "Hola",\n}', "utf-8")
    with pytest.raises(ValueError, match=r"home\.json: line 2"):
        Translator("es", tmp_path)
    _write(tmp_path, "es", "home", {"hello": ["not", "text"]})
    with pytest.raises(ValueError, match="hello"):
        Translator("es", tmp_path / ".." / tmp_path.name)  # another cache entry, same files


def test_module_level_translator() -> None:
    try:
        assert set_language("en").language == "en"
        assert current().language == "en"
        assert t("receipt.your_turn") == current().t("receipt.your_turn")
        set_language("xx")
        assert current().language == "es"
    finally:
        set_language("es")


def test_importing_i18n_reads_no_file() -> None:
    code = (
        "import builtins, pathlib, sys\n"
        "opened = []\n"
        "real = pathlib.Path.read_text\n"
        "pathlib.Path.read_text = lambda self, *a, **k: (opened.append(str(self)), real(self, *a, **k))[1]\n"  # noqa: E501
        "import kiosk.i18n\n"
        "print([p for p in opened if p.endswith('.json')])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"


# ----------------------------------------------------------------- the real resources


def _files(lang: str) -> dict[str, dict[str, str]]:
    out = {}
    for path in sorted((I18N_DIR / lang).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        out[path.stem] = data
    return out


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_resource_files_load_and_hold_only_texts() -> None:
    for lang in ("es", "en"):
        for namespace, data in _files(lang).items():
            for key, text in data.items():
                assert isinstance(text, str), f"{lang}/{namespace}.json: {key}"
    assert set(LANGUAGES) >= {"es", "en"}
    assert Translator("es").keys()


def test_every_english_key_exists_in_spanish() -> None:
    es = Translator("es").keys()
    en = {f"{ns}.{k}" for ns, data in _files("en").items() for k in data}
    assert sorted(en - es) == []


def test_english_placeholders_match_spanish() -> None:
    es = {f"{ns}.{k}": v for ns, data in _files("es").items() for k, v in data.items()}
    mismatched = []
    for ns, data in _files("en").items():
        for k, text in data.items():
            key = f"{ns}.{k}"
            if key in es and _placeholders(text) != _placeholders(es[key]):
                mismatched.append(f"{key}: en {_placeholders(text)} ≠ es {_placeholders(es[key])}")
    assert mismatched == []


def test_spanish_texts_format() -> None:
    """Every message is a valid format string (no stray braces)."""
    for ns, data in _files("es").items():
        for k, text in data.items():
            _placeholders(text)  # raises ValueError on "{" without "}"
            assert text.strip(), f"es/{ns}.json: {k} is empty"


# t("key"), tr("key"), ctx.t("key"), self.ctx.t("key"), translator.t("key") — literal keys only;
# f-strings are not literal keys and are checked family by family below.
KEY_CALL = re.compile(
    r"""(?<![A-Za-z0-9_])(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:t|tr)\(\s*["']([a-z][a-z0-9_]*\.[A-Za-z0-9_.]+)["']"""
)


def _code_without_comments(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    tokens = [
        tok for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type != tokenize.COMMENT
    ]
    return tokenize.untokenize(tokens)


def _used_keys() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted(KIOSK.rglob("*.py")):
        for key in KEY_CALL.findall(_code_without_comments(path)):
            used.setdefault(key, []).append(str(path.relative_to(REPO)))
    return used


def test_the_key_scanner_finds_calls() -> None:
    sample = 'x = t("a.b")\ny = self.ctx.t( "c.d", n=1)\nz = tr("e.f_g")\nw = ctx.t(f"h.{i}")\n'
    assert KEY_CALL.findall(sample) == ["a.b", "c.d", "e.f_g"]
    assert KEY_CALL.findall('print("a.b")\nst("a.b")\nself.default_t("x.y")') == []


def test_every_literal_key_used_in_the_code_exists_in_spanish() -> None:
    used = _used_keys()
    assert used, "the scanner found no t(...) call at all"
    es = Translator("es").keys()
    missing = {key: files for key, files in sorted(used.items()) if key not in es}
    assert missing == {}


def test_key_families_built_from_domain_values_exist_in_spanish() -> None:
    es = Translator("es").keys()
    wanted = [f"turn.{o.value}" for o in TurnOutcome] + [
        f"turn.{o.value}_next" for o in TurnOutcome
    ]
    wanted += [f"identity.{p.value}" for p in IdProblem]
    wanted += [f"receipt.weekday_{d}" for d in range(7)] + [
        f"receipt.month_{m}" for m in range(1, 13)
    ]
    assert sorted(k for k in wanted if k not in es) == []
