"""The error funnel: an unexpected exception shows the calm out-of-order page (no traceback,
no personal data in the log) and the kiosk recovers to home by itself."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from kiosk.i18n import Translator
from tests.e2e.conftest import Driver
from tests.e2e.fakes import VALID_CEDULA, FakeServices

ES = Translator("es")
SECRET = f"cedula {VALID_CEDULA}"  # what a careless exception message could carry


def _boom() -> None:
    raise RuntimeError(SECRET)


@pytest.mark.allow_log_warnings
def test_exception_in_a_slot_shows_out_of_order_then_recovers(
        drive: Driver, services: FakeServices, qtbot: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    w = drive.window
    drive.sgrt_to_checklist()
    QTimer.singleShot(0, _boom)  # an exception escaping a Qt callback
    qtbot.waitUntil(lambda: drive.page == "out_of_order")
    page = w.screen("out_of_order")
    assert page.title.text() == ES.t("ui.out_of_order_title")
    assert not w.footer.isVisible()
    assert drive.flow.visit is None  # the visit is gone with the error
    assert SECRET not in caplog.text and VALID_CEDULA not in caplog.text
    assert "RuntimeError" in caplog.text
    services.clock.advance(w.RECOVER_S - 1)
    w.ticker.fire()
    assert drive.page == "out_of_order"
    services.clock.advance(1)
    w.ticker.fire()
    assert drive.page == "home"
    drive.tap("homeWalkIn")  # and it works again
    assert drive.page == "choose"


@pytest.mark.allow_log_warnings
def test_exception_in_a_thread_reaches_the_funnel(drive: Driver, qtbot: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    thread = threading.Thread(target=_boom, name="worker-test")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: drive.page == "out_of_order")
    assert SECRET not in caplog.text


def test_hooks_are_restored_when_the_window_closes(make_window: Any) -> None:
    before_sys, before_thread = sys.excepthook, threading.excepthook
    w = make_window()
    assert sys.excepthook == w.errors.handle
    w.close()
    assert sys.excepthook is before_sys and threading.excepthook is before_thread


def test_show_out_of_order_and_recover_by_hand(drive: Driver) -> None:
    w = drive.window
    drive.tap("homeWalkIn")
    w.show_out_of_order("printer jammed", recover=False)
    assert drive.page == "out_of_order" and drive.flow.visit is None
    w.ticker.fire()
    assert drive.page == "out_of_order"
    w.recover()
    assert drive.page == "home"
