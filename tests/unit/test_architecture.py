"""Architecture rules the CI enforces (DESIGN.md §3): a Qt-free, I/O-free domain core, and a
composition root that creates nothing heavy at import time."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = REPO / "kiosk" / "domain"
FORBIDDEN = frozenset(
    {"PySide6", "cv2", "reportlab", "qrcode", "zxingcpp", "sqlalchemy", "alembic", "httpx",
     "fastapi", "numpy"}
)
# kiosk packages that pull those in: the domain may not lean on them either
FORBIDDEN_KIOSK = frozenset(
    {"kiosk.ui", "kiosk.scanning", "kiosk.printing", "kiosk.store", "kiosk.sync",
     "kiosk.central", "kiosk.app", "kiosk.turns"}
)


def _imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """Every module an import statement (or a literal import_module/__import__ call) names."""
    found: list[tuple[int, str]] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if callee in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((node.lineno, arg.value))
    return found


def _violations(source: str, module: str) -> list[str]:
    bad = []
    for lineno, name in _imported_modules(source, module):
        top = name.split(".")[0]
        if top in FORBIDDEN or any(
            name == k or name.startswith(k + ".") for k in FORBIDDEN_KIOSK
        ):
            bad.append(f"{module}:{lineno} imports {name}")
    return bad


def _domain_modules() -> list[tuple[Path, str]]:
    out = []
    for path in sorted(DOMAIN.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((path, ".".join(parts)))
    return out


def test_the_checker_finds_forbidden_imports() -> None:
    source = textwrap.dedent(
        """
        import os
        import cv2 as vision
        from PySide6.QtCore import QObject
        from sqlalchemy.orm import Session
        import numpy.linalg
        from ..store import store
        from kiosk.ui.screens import base
        import importlib
        importlib.import_module("reportlab.pdfgen")
        def later():
            import httpx
            __import__("zxingcpp")
        """
    )
    bad = _violations(source, "kiosk.domain.example")
    assert [b.split(" imports ")[1] for b in bad] == [
        "cv2", "PySide6.QtCore", "PySide6.QtCore.QObject", "sqlalchemy.orm",
        "sqlalchemy.orm.Session", "numpy.linalg", "kiosk.store", "kiosk.store.store",
        "kiosk.ui.screens", "kiosk.ui.screens.base", "reportlab.pdfgen", "httpx", "zxingcpp",
    ]
    assert _violations("import json\nfrom kiosk.domain import visit\n", "kiosk.domain.x") == []


def test_domain_sources_import_nothing_heavy() -> None:
    modules = _domain_modules()
    assert {m for _, m in modules} >= {
        "kiosk.domain", "kiosk.domain.catalog", "kiosk.domain.identity", "kiosk.domain.ports",
        "kiosk.domain.records", "kiosk.domain.requirements", "kiosk.domain.turns",
        "kiosk.domain.visit",
    }
    bad: list[str] = []
    for path, module in modules:
        bad += _violations(path.read_text(encoding="utf-8"), module)
    assert bad == []


def _fresh_python(code: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or REPO,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_domain_loads_no_heavy_library() -> None:
    modules = [m for _, m in _domain_modules()]
    code = textwrap.dedent(
        f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(sys.modules)))
        """
    )
    loaded = json.loads(_fresh_python(code))
    assert set(modules) <= set(loaded)
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert heavy == []
    kiosk_heavy = sorted(
        m for m in loaded if any(m == k or m.startswith(k + ".") for k in FORBIDDEN_KIOSK)
    )
    assert kiosk_heavy == []


APP_MODULES = ["kiosk.config", "kiosk.i18n", "kiosk.services", "kiosk.app"]

# run inside the fresh interpreter: instances of heavy types held in a kiosk module's globals
HEAVY_SCAN = """
def heavy_globals_in_kiosk():
    found = []
    for name, module in list(sys.modules.items()):
        if not (name == "kiosk" or name.startswith("kiosk.")) or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, (type, types.ModuleType)) or inspect.isroutine(value):
                continue
            owner = type(value).__module__.split(".")[0]
            if owner in ("PySide6", "shiboken6", "sqlalchemy", "cv2", "httpx", "sqlite3",
                         "uvicorn", "fastapi", "psycopg", "reportlab", "zxingcpp"):
                found.append(name + "." + attr + ": " + type(value).__name__)
    return found
"""


def test_the_heavy_global_scan_finds_one() -> None:
    code = textwrap.dedent(
        """
        import inspect, json, sqlite3, sys, types
        import kiosk.config
        kiosk.config._leak = sqlite3.connect(":memory:")
        """
    ) + HEAVY_SCAN + "\nprint(json.dumps(heavy_globals_in_kiosk()))\n"
    assert json.loads(_fresh_python(code)) == ["kiosk.config._leak: Connection"]


@pytest.mark.skipif(not (REPO / "kiosk" / "app.py").exists(), reason="kiosk/app.py not written yet")
def test_importing_the_app_creates_nothing_heavy(tmp_path: Path) -> None:
    """Import the composition root in a fresh interpreter, with HOME and the data dirs pointed at
    an empty folder: no thread, no Qt application, no engine/client/camera in a module global,
    no file written anywhere."""
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ)
    env.update(
        HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"), QT_QPA_PLATFORM="offscreen",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTHONPATH", None)
    imports = textwrap.dedent(
        f"""
        import importlib, inspect, json, logging, sys, threading, types
        for name in {APP_MODULES!r}:
            importlib.import_module(name)
        """
    )
    checks = textwrap.dedent(
        """
        heavy_globals = heavy_globals_in_kiosk()
        qt_app = None
        if "PySide6.QtCore" in sys.modules:
            from PySide6.QtCore import QCoreApplication
            qt_app = repr(QCoreApplication.instance()) if QCoreApplication.instance() else None
        handlers = [type(h).__name__ for h in logging.getLogger().handlers
                    if isinstance(h, logging.FileHandler)]
        print(json.dumps({
            "threads": [t.name for t in threading.enumerate()],
            "qt_app": qt_app,
            "heavy_globals": heavy_globals,
            "file_handlers": handlers,
        }))
        """
    )
    code = imports + HEAVY_SCAN + checks
    report = json.loads(_fresh_python(code, cwd=tmp_path, env=env))
    assert report["threads"] == ["MainThread"]
    assert report["qt_app"] is None
    assert report["heavy_globals"] == []
    assert report["file_handlers"] == []
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["home"]
