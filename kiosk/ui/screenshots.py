"""Render every kiosk screen offscreen to PNG files (docs, reviews, visual checks).

    python -m kiosk.ui.screenshots OUT_DIR [--size 1080x1920|1920x1080] [--only home,receipt]
                                   [--language en] [--large-text]

Uses the test fakes (tests/e2e/fakes.py: the real domain with a fake clock, printer and camera),
so it runs from a source checkout without a camera, printer or network.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _demo_document(requirement_id: str) -> Any:
    """A small real JPEG that looks like a page with lines of text (for review thumbnails)."""
    import cv2
    import numpy as np

    from kiosk.domain.records import CapturedDocument

    page = np.full((420, 300, 3), 245, np.uint8)
    cv2.rectangle(page, (20, 20), (280, 60), (113, 59, 0), -1)
    for y in range(90, 380, 22):
        cv2.line(page, (24, y), (24 + (y * 37) % 230 + 20, y), (60, 60, 60), 3)
    _, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 80])
    data = buf.tobytes()
    return CapturedDocument(requirement_id, "image/jpeg", data, hashlib.sha256(data).hexdigest())


SGRT = "certificado-atencion-medica-sgrt"


def _states() -> dict[str, Callable[[Any], None]]:
    from kiosk.domain.turns import TurnOutcome
    from tests.e2e.fakes import VALID_CEDULA, decision

    def walk_in(w: Any, tramite: str = SGRT) -> None:
        w.flow.start_walk_in()
        w.flow.choose_tramite(tramite)

    def identify(w: Any) -> None:
        walk_in(w)
        for q, a in (("on_behalf", "self"), ("id_type", "cedula"), ("priority", "no")):
            w.flow.answer(q, a)

    def typed(w: Any) -> None:
        identify(w)
        for ch in VALID_CEDULA[:7]:
            w.screen("identify").keypad.press(ch)

    def identify_error(w: Any) -> None:
        identify(w)
        for ch in "1710034064":
            w.screen("identify").keypad.press(ch)
        w.screen("identify").keypad.submitted.emit("1710034064")

    def foreigner(w: Any) -> None:
        walk_in(w)
        for q, a in (("on_behalf", "self"), ("id_type", "foreigner_code"), ("priority", "no")):
            w.flow.answer(q, a)
        for ch in "AB12":
            w.screen("identify").keypad.press(ch)

    def checklist(w: Any) -> None:
        walk_in(w)
        for q, a in (("on_behalf", "third_party"), ("id_type", "cedula"),
                     ("third_party_id_type", "cedula"), ("priority", "no")):
            w.flow.answer(q, a)
        w.flow.identify(VALID_CEDULA)

    def capture(w: Any) -> None:
        identify(w)
        w.flow.identify(VALID_CEDULA)
        w.flow.checklist_confirmed()

    def review(w: Any) -> None:
        capture(w)
        while w.flow.capture_id:
            w.flow.document_captured(_demo_document(w.flow.capture_id))

    def receipt(w: Any, fail: bool = False) -> None:
        w.services.printer.fail = fail
        w.services.online = not fail
        review(w)
        record = w.flow.review_confirmed()
        w.flow.ticket_issued(w.services.issue_ticket(record))
        _wait(lambda: not w.screen("receipt").printing)

    def turn(w: Any, outcome: TurnOutcome = TurnOutcome.OK) -> None:
        w.services.decisions.append(decision(outcome, tramite_id="codigo-extranjeros"))
        w.flow.start_with_turn()
        w.flow.turn_read(w.services.verify_turn("IESS1:DEMO"))

    def priority(w: Any) -> None:
        walk_in(w)
        w.flow.answer("on_behalf", "self")
        w.flow.answer("id_type", "cedula")

    def overlay(w: Any) -> None:
        walk_in(w)
        w.services.clock.advance(w.services.settings.idle_timeout_s + 3)
        w.idle.timer.fire()

    def high_contrast(w: Any) -> None:
        w.set_high_contrast(True)

    def missing(w: Any) -> None:
        capture(w)
        w.flow.document_missing()

    return {
        "home": lambda w: None,
        "home_high_contrast": high_contrast,
        "help": lambda w: w._switch("help"),
        "choose": lambda w: w.flow.start_walk_in(),
        "questions": walk_in,
        "questions_priority": priority,
        "identify": typed,
        "identify_error": identify_error,
        "identify_foreigner": foreigner,
        "scan_turn": lambda w: w.flow.start_with_turn(),
        "confirm": turn,
        "checklist": checklist,
        "capture": capture,
        "review": review,
        "receipt": receipt,
        "receipt_print_failed": lambda w: receipt(w, fail=True),
        "info_other_channel": lambda w: walk_in(w, "cita-medica"),
        "info_needs_turn": lambda w: walk_in(w, "codigo-extranjeros"),
        "info_turn_too_early": lambda w: turn(w, TurnOutcome.TOO_EARLY),
        "info_missing_document": missing,
        "out_of_order": lambda w: w.show_out_of_order("demo", recover=False),
        "idle_overlay": overlay,
    }


def _wait(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def _compact(path: Path) -> None:
    """Palette PNG (flat UI colours survive; files shrink ~4x) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def render(out_dir: Path, size: tuple[int, int], only: set[str] | None = None, *,
           language: str = "es", large_text: bool = False) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from kiosk.ui.window import KioskWindow
    from tests.e2e.fakes import FakeServices

    app = QApplication.instance() or QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    orientation = "portrait" if size[1] > size[0] else "landscape"
    suffix = ("" if language == "es" else f"_{language}") + ("_large" if large_text else "")
    written = []
    for name, setup in _states().items():
        if only and name not in only:
            continue
        services: Any = FakeServices()
        window = KioskWindow(services, fullscreen=False, error_hooks=False)
        window.resize(*size)
        window.show()
        app.processEvents()
        try:
            if language != "es":
                window.set_language(language)
            if large_text:
                window.set_large_text(True)
            setup(window)
            _wait(lambda: False, 0.3 if name in ("scan_turn", "capture") else 0.05)
            path = out_dir / f"{name}_{orientation}{suffix}.png"
            window.grab().save(str(path), "PNG", 9)
            _compact(path)
            written.append(path)
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.screenshots")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT, e.g. 1080x1920")
    parser.add_argument("--only", default="", help="comma-separated screen names")
    parser.add_argument("--language", default="es", choices=("es", "en"))
    parser.add_argument("--large-text", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, height = (int(v) for v in args.size.lower().split("x"))
    only = {s for s in args.only.split(",") if s} or None
    for path in render(args.out_dir, (width, height), only, language=args.language,
                       large_text=args.large_text):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
