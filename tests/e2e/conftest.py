"""E2E fixtures: the whole window driven offscreen with FakeServices, and fail-loud guards.

Every e2e test fails on: a Qt warning, a log warning from the kiosk, a top-level widget left
open, one of our timers still running, or a non-daemon thread left behind.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fakes import FakeServices

HERE = Path(__file__).resolve().parent
LANDSCAPE = (1920, 1080)
PORTRAIT = (1080, 1920)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_log_warnings: the test expects kiosk log warnings")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Qt warnings (e.g. "QFont::setPointSize", stylesheet parse errors) fail the test.
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def make_window(qtbot: Any, services: FakeServices) -> Iterator[Any]:
    """Factory: make_window(size=(w, h), services=...) -> a shown KioskWindow (not fullscreen)."""
    from kiosk.ui.window import KioskWindow

    made: list[Any] = []

    def factory(size: tuple[int, int] = LANDSCAPE, svc: FakeServices | None = None) -> Any:
        win = KioskWindow(svc or services, fullscreen=False)
        qtbot.addWidget(win)
        win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win

    yield factory
    for win in made:
        with contextlib.suppress(RuntimeError):
            win.close()


@pytest.fixture
def window(make_window: Any) -> Any:
    return make_window()


@pytest.fixture(autouse=True)
def _fail_loud(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    threads_before = set(threading.enumerate())
    caplog.set_level(logging.INFO, logger="kiosk")
    yield
    problems: list[str] = []

    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        QThreadPool.globalInstance().waitForDone(5000)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        if visible:
            problems.append(f"top-level widgets left open: {[type(w).__name__ for w in visible]}")
    try:
        from kiosk.ui.idle import active_timers

        alive = active_timers()
        if alive:
            problems.append(f"timers still running: {[t.objectName() for t in alive]}")
    except ImportError:
        pass
    leaked = [t for t in threading.enumerate()
              if t not in threads_before and t.is_alive() and not t.daemon]
    if leaked:
        problems.append(f"non-daemon threads left: {[t.name for t in leaked]}")
    if request.node.get_closest_marker("allow_log_warnings") is None:
        noisy = [r for r in caplog.get_records("call")
                 if r.levelno >= logging.WARNING and r.name.startswith("kiosk")]
        if noisy:
            problems.append(f"unexpected log warnings: {[r.getMessage() for r in noisy]}")
    if problems:
        pytest.fail("; ".join(problems))
