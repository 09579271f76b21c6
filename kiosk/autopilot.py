"""Autopilot: one complete visit by a simulated citizen, through the real UI (`kiosk --demo
--autopilot [--screenshots DIR]`). Technicians use it to check an installed kiosk.

It taps the real buttons (QTest mouse clicks), while the demo camera plays the turn confirmation
and the documents through the real QR reader, quality checks and auto-capture. It saves a PNG of
every screen, and prints a one-line JSON summary as its last line; the exit code is 0, or 1 with
`failed_step` naming the step that failed.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from kiosk.demo import DEMO_ID_NUMBER

if TYPE_CHECKING:
    from kiosk.app import AppServices
    from kiosk.ui.window import KioskWindow

ANSWERS = ("option_self", "option_no")  # own behalf; no priority attention


class AutopilotError(RuntimeError):
    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


class Autopilot:
    def __init__(
        self, window: KioskWindow, services: AppServices, screenshots: Path | None
    ) -> None:
        self.window = window
        self.services = services
        self.screenshots = screenshots
        self.app = QApplication.instance()
        self.shots: list[str] = []
        self.steps_ms: dict[str, float] = {}
        self._last_shot = ""
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
        window.screen_changed.connect(self._on_screen)

    # ------------------------------------------------------------- helpers

    def _pump(self, seconds: float = 0.02) -> None:
        end = time.monotonic() + seconds
        while True:
            self.app.processEvents()
            if time.monotonic() >= end:
                return
            time.sleep(0.005)

    def wait(self, step: str, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AutopilotError(
                    step,
                    f"timed out after {timeout:.0f} s on screen '{self.window.current_name()}'",
                )
            self._pump(0.03)

    def on(self, name: str) -> Callable[[], bool]:
        return lambda: self.window.current_name() == name

    def visible_buttons(self, name: str) -> list[QAbstractButton]:
        # Pages rebuild their option buttons; old ones linger hidden until deleteLater runs.
        return [
            b
            for b in self.window.findChildren(QAbstractButton, name)
            if b.isVisible() and b.isEnabled()
        ]

    def button(self, step: str, name: str, timeout: float = 10.0) -> QAbstractButton:
        found: list[QAbstractButton] = []

        def visible() -> bool:
            found[:] = self.visible_buttons(name)
            return bool(found)

        self.wait(step, visible, timeout)
        return found[0]

    def tap(self, step: str, name: str) -> None:
        target = self.button(step, name)
        QTest.mouseClick(
            target,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            QPoint(target.width() // 2, target.height() // 2),
        )
        self._pump()

    def shot(self, label: str) -> None:
        if self.screenshots is None or label == self._last_shot:
            return
        self._pump(0.05)  # let the page lay out and paint once
        path = self.screenshots / f"{len(self.shots) + 1:02d}_{label}.png"
        self.window.grab().save(str(path))
        self.shots.append(path.name)
        self._last_shot = label

    def _on_screen(self, name: str) -> None:
        self.shots_pending = name

    def timed(self, step: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        action()
        self.steps_ms[step] = round((time.perf_counter() - started) * 1000, 1)

    # ------------------------------------------------------------- the visit

    def run(self) -> dict[str, Any]:
        demo = self.services.demo
        flow = self.window.flow

        def ready() -> None:
            self.wait("demo_ready", lambda: demo is not None and demo.ready.is_set(), 90)
            if demo is None or demo.central is None:
                raise AutopilotError(
                    "demo_ready", f"demo environment failed: {demo and demo.error}"
                )
            self.wait(
                "demo_ready",
                lambda: self.services.sync is not None and self.services.trust_path.exists(),
                30,
            )

        self.timed("demo_ready", ready)
        self.shot("home")

        def scan() -> None:
            self.tap("scan_turn", "homeTurn")
            self.wait("scan_turn", self.on("scan_turn"), 5)
            self._pump(0.6)  # a citizen takes a moment to hold the phone up
            self.shot("scan_turn")
            self.wait("scan_turn", lambda: self.window.current_name() in ("identify", "info"), 45)
            if self.window.current_name() == "info":
                self.shot("turn_refused")
                outcome = flow.decision.outcome.value if flow.decision else "?"
                raise AutopilotError("scan_turn", f"turn refused: {outcome}")

        self.timed("scan_turn", scan)

        def confirm() -> None:
            self.shot("confirm_id")
            for digit in DEMO_ID_NUMBER[-4:]:
                self.tap("confirm_id", f"key_{digit}")
            self.shot("confirm_id_typed")
            self.tap("confirm_id", "keyOk")
            self.wait("confirm_id", self.on("questions"), 5)

        self.timed("confirm_id", confirm)

        def questions() -> None:
            count = 0
            while self.window.current_name() == "questions":
                self.shot(f"question_{count + 1}")
                names = [n for n in ANSWERS if self.visible_buttons(n)]
                if not names:
                    raise AutopilotError("questions", "no known answer on the question page")
                question = self.window.current_screen().question_id
                self.tap("questions", names[0])
                self.wait(
                    "questions",
                    lambda q=question: (
                        self.window.current_name() != "questions"
                        or self.window.current_screen().question_id != q
                    ),
                    5,
                )
                count += 1
                if count > 6:
                    raise AutopilotError("questions", "the questions never end")

        self.timed("questions", questions)

        def checklist() -> None:
            self.wait("checklist", self.on("checklist"), 5)
            self.shot("checklist")
            self.tap("checklist", "checklistStart")
            self.wait("checklist", self.on("capture"), 5)

        self.timed("checklist", checklist)

        def capture() -> None:
            seen: list[str] = []
            while self.window.current_name() == "capture":
                current = flow.capture_id or ""
                if current not in seen:
                    seen.append(current)
                    self._pump(1.2)  # the first shots are the demo's bad ones: show a hint
                    self.shot(f"capture_{len(seen)}")
                    # and once the document is good and being held still
                    page: Any = self.window.current_screen()
                    with contextlib.suppress(AutopilotError):
                        self.wait(
                            "capture",
                            lambda p=page: bool(
                                getattr(p, "_assessment", None) and p._assessment.ok
                            ),
                            5,
                        )
                        self._pump(0.15)
                        self.shot(f"capture_{len(seen)}_steady")
                self.wait(
                    "capture",
                    lambda c=current: (
                        flow.capture_id != c or self.window.current_name() != "capture"
                    ),
                    60,
                )
            self.wait("capture", self.on("review"), 10)

        self.timed("capture", capture)

        def review() -> None:
            self._pump(0.5)
            self.shot("review")
            self.tap("review", "review_confirm")
            self.wait("review", self.on("receipt"), 20)

        self.timed("review", review)

        result: Any = None

        def receipt() -> None:
            nonlocal result
            screen: Any = self.window.current_screen()
            self.wait("receipt", lambda: not screen.printing, 30)
            result = screen.result  # the page wipes it when the citizen leaves
            self.shot("receipt")
            self.tap("receipt", "receiptDone")
            self.wait("receipt", self.on("home"), 5)
            self.shot("home_after")

        ticket = flow.visit.ticket if flow.visit else None
        documents = len(flow.visit.captures) if flow.visit else 0
        self.timed("receipt", receipt)
        if result is None or not result.ok:
            state = result.status.state.value if result else "no result"
            raise AutopilotError("receipt", f"receipt not printed ({state})")
        return {
            "ok": True,
            "ticket": ticket.number if ticket else None,
            "receipt": result.output_path,
            "documents": documents,
            "screens": len(self.shots) if self.screenshots else len(self.window.switch_times_ms),
            "steps_ms": self.steps_ms,
            "screen_change_ms": [round(v, 2) for v in self.window.switch_times_ms],
        }


def run_autopilot(window: KioskWindow, services: AppServices, *, screenshots: Path | None) -> int:
    pilot = Autopilot(window, services, screenshots)
    started = time.perf_counter()
    try:
        summary = pilot.run()
        code = 0
    except AutopilotError as exc:
        summary = {
            "ok": False,
            "failed_step": exc.step,
            "error": str(exc),
            "steps_ms": pilot.steps_ms,
        }
        code = 1
    summary["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if screenshots is not None:
        summary["screenshots"] = str(screenshots)
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return code
