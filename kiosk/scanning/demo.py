"""Demo media for the kiosk's --demo mode: short looping videos of synthetic documents.

Each scene starts with ~1.3 s of bad shots (blurred, too dark, cut off) and continues with ~2.7 s
of a good, steady, slightly perspective-warped shot on a wooden desk, so auto-capture triggers in
the good part. The QR scenes carry the day's freshly signed turn token, which is why the media is
generated at start-up (well under 3 s for all five scenes).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.scanning import render

SCENES = ("turn_phone", "turn_paper", "id_card", "letter", "passport")
_BG_FILE = Path(__file__).resolve().parents[2] / "resources" / "demo" / "desk_wood.jpg"


def _desk(w: int, h: int) -> np.ndarray:
    bg = cv2.imread(str(_BG_FILE), cv2.IMREAD_COLOR) if _BG_FILE.is_file() else None
    if bg is None:
        return render.wood(h, w, np.random.default_rng(7))
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)


def _good_quad(
    doc: np.ndarray, w: int, h: int, fill: float, rng: np.random.Generator
) -> np.ndarray:
    dh, dw = doc.shape[:2]
    scale = min(np.sqrt(fill * w * h / (dw * dh)), 0.86 * h / dh, 0.86 * w / dw)
    cx, cy = w / 2 + rng.uniform(-20, 20), h / 2 + rng.uniform(-10, 10)
    hw, hh = dw * scale / 2, dh * scale / 2
    q = np.array([[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]])
    # Slight perspective (camera above the desk, not perfectly square) and a small rotation.
    q[0, 0] += hw * 0.04
    q[1, 0] -= hw * 0.04
    a = np.radians(rng.uniform(-3, 3))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (q - [cx, cy]) @ rot.T + [cx, cy]


def _scene_doc(scene: str, turn_qr_text: str) -> tuple[np.ndarray, float]:
    if scene == "turn_phone":
        return render.phone_with_qr(turn_qr_text), 0.30
    if scene == "turn_paper":
        return render.confirmation_sheet(turn_qr_text), 0.40
    if scene == "id_card":
        return render.document("id_card", 1), 0.40
    if scene == "passport":
        return render.document("passport", 1), 0.45
    return render.document("letter", 1), 0.50


def render_demo_media(
    out_dir: Path, *, turn_qr_text: str, size: tuple[int, int] = (1280, 720), fps: int = 15
) -> dict[str, Path]:
    """Write one looping MJPG .avi per scene into ``out_dir``; returns {scene: path}.

    Scenes: "turn_phone", "turn_paper" (the QR carries ``turn_qr_text``), "id_card", "letter",
    "passport". No real personal data: the holder is the fictitious "MARÍA EJEMPLO DEMO".
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    w, h = size
    desk = _desk(w, h)
    rng = np.random.default_rng(2026)
    paths: dict[str, Path] = {}
    bad_n, good_n = round(1.3 * fps), round(2.7 * fps)
    for scene in SCENES:
        doc, fill = _scene_doc(scene, turn_qr_text)
        quad = _good_quad(doc, w, h, fill, rng)
        # Exposed like a real camera: paper at ~230, not clipped white.
        good = cv2.convertScaleAbs(render.place(desk, doc, quad), alpha=0.9)
        qr_scene = scene.startswith("turn_")
        bad: list[np.ndarray] = []
        if not qr_scene:
            shift = np.array([w * 0.35, -h * 0.05])
            bad.append(render.place(desk, doc, quad + shift))  # cut off at the right edge
            bad.append(cv2.GaussianBlur(good, (0, 0), 4.0))  # out of focus
            bad.append(cv2.convertScaleAbs(good, alpha=0.25))  # too dark
        else:
            bad.append(cv2.GaussianBlur(good, (0, 0), 3.0))  # moving towards the camera
        path = out_dir / f"{scene}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (w, h))
        if not writer.isOpened():
            raise OSError(f"cannot write demo video {path}")
        try:
            n_bad = bad_n if not qr_scene else round(0.4 * fps)
            for i in range(n_bad):
                writer.write(bad[min(i * len(bad) // n_bad, len(bad) - 1)])
            for _ in range(good_n):
                writer.write(good)
        finally:
            writer.release()
        paths[scene] = path
    return paths
