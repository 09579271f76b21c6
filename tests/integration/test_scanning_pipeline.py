"""Demo video → camera worker → assessment + stability → auto-capture → rectify → ≤ 1 MB JPEG."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from kiosk.scanning import (
    CameraWorker,
    DocumentKind,
    FileSource,
    FrameAssessment,
    StabilityTracker,
    assess_frame,
    encode_jpeg,
    rectify,
    render_demo_media,
)


def test_auto_capture_from_demo_video(tmp_path: Path) -> None:
    paths = render_demo_media(tmp_path, turn_qr_text="T-1", fps=30)
    tracker = StabilityTracker()
    captured: list[tuple[np.ndarray, FrameAssessment]] = []
    seen: list[FrameAssessment] = []
    done = threading.Event()
    previous: list[FrameAssessment] = []

    def on_frame(frame: np.ndarray, ts: float) -> None:
        if done.is_set():
            return
        a = assess_frame(frame, previous=previous[-1] if previous else None)
        previous[:] = [a]
        seen.append(a)
        if tracker.update(a, ts).ready:
            captured.append((frame, a))
            done.set()

    worker = CameraWorker(FileSource(paths["id_card"], fps=30), on_frame)
    worker.start()
    try:
        assert done.wait(10), [x.problems for x in seen[-5:]]
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert any(not a.ok for a in seen[:10])  # the bad shots were noticed before capture
    frame, a = captured[0]
    assert a.ok and a.document is not None
    card = rectify(frame, a.document, DocumentKind.ID_CARD)
    assert card.shape[:2] == (638, 1011)
    data = encode_jpeg(card)
    assert len(data) <= 1_000_000
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == card.shape
