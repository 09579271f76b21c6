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
    leaked = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not t.daemon
    ]
    if leaked:
        problems.append(f"non-daemon threads left: {[t.name for t in leaked]}")
    if request.node.get_closest_marker("allow_log_warnings") is None:
        noisy = [
            r
            for r in caplog.get_records("call")
            if r.levelno >= logging.WARNING and r.name.startswith("kiosk")
        ]
        if noisy:
            problems.append(f"unexpected log warnings: {[r.getMessage() for r in noisy]}")
    if problems:
        pytest.fail("; ".join(problems))


# --------------------------------------------------------------------------- driving the window


class Driver:
    """Drives a KioskWindow the way a citizen would: taps on visible buttons by object name."""

    def __init__(self, qtbot: Any, window: Any) -> None:
        self.qtbot, self.window = qtbot, window

    @property
    def flow(self) -> Any:
        return self.window.flow

    @property
    def page(self) -> str:
        return str(self.window.current_name())

    def button(self, name: str) -> Any:
        from PySide6.QtWidgets import QPushButton

        found = [b for b in self.window.findChildren(QPushButton, name) if b.isVisible()]
        assert len(found) == 1, f"expected one visible button {name!r}, found {len(found)}"
        return found[0]

    def tap(self, name: str) -> None:
        from PySide6.QtCore import Qt

        b = self.button(name)
        assert b.isEnabled(), f"button {name!r} is disabled"
        self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    def type(self, text: str) -> None:
        for ch in text:
            self.tap(f"key_{ch.upper()}")

    def wait_page(self, name: str, timeout: int = 5000) -> None:
        self.qtbot.waitUntil(lambda: self.page == name, timeout=timeout)

    # ------------------------------------------------------------------ journeys

    def walk_in(self, tramite: str) -> None:
        self.tap("homeWalkIn")
        assert self.page == "choose"
        self.tap(f"tramite_{tramite}")

    def answer(self, *values: str) -> None:
        for value in values:
            assert self.page == "questions"
            self.tap(f"option_{value}")

    def identify(self, number: str) -> None:
        assert self.page == "identify"
        self.type(number)
        self.tap("keyOk")

    def sgrt_to_checklist(self, cedula: str = "1710034065") -> None:
        self.walk_in("certificado-atencion-medica-sgrt")
        self.answer("self", "cedula", "no")
        self.identify(cedula)
        assert self.page == "checklist"

    def capture_all(self) -> None:
        """Stand-in for the camera: each asked-for document arrives as a small fake JPEG."""
        from tests.e2e.fakes import fake_document

        assert self.page == "capture"
        while self.flow.step.value == "capture":
            self.flow.document_captured(fake_document(self.flow.capture_id))
        assert self.page == "review"

    def confirm_review(self) -> None:
        self.tap("review_confirm")
        self.wait_page("receipt")

    def wait_printed(self) -> None:
        receipt = self.window.screen("receipt")
        self.qtbot.waitUntil(lambda: not receipt.printing, timeout=5000)

    def to_receipt(self) -> None:
        self.sgrt_to_checklist()
        self.tap("checklistStart")
        self.capture_all()
        self.confirm_review()
        self.wait_printed()

    def texts(self) -> list[str]:
        """Every text on widgets that can show something of a visit (the trámite menu and
        other pages that look the same for everyone are left out)."""
        from PySide6.QtCore import QCoreApplication, QEvent

        from kiosk.ui.widgets.page import all_texts

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        texts = []
        for name, page in self.window.screens.items():
            if getattr(page, "personal", True):
                texts += [f"{name}: {t}" for t in all_texts(page)]
        for chrome in (self.window.header, self.window.footer, self.window.overlay):
            texts += all_texts(chrome)
        return texts


@pytest.fixture
def drive(qtbot: Any, window: Any) -> Driver:
    return Driver(qtbot, window)
