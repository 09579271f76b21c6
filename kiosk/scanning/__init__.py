"""Document capture engine (OpenCV + NumPy, no Qt).

Public API:
- assess_frame(frame, thresholds=, previous=) -> FrameAssessment: outline + problem codes.
- instruction_key(assessment) -> "capture.<key>" for the one instruction to show.
- StabilityTracker: "hold still" until the outline is steady, then ready-to-capture once.
- decode_qr(frame) -> list[str]: every QR code's text (zxing-cpp, checksummed).
- rectify(frame, corners, DocumentKind) -> flat document at its real size (300/200 dpi).
- encode_jpeg(image, max_bytes) / encode_pdf(pages, max_bytes): ≤ 1 MB, never illegible.
- camera: FrameSource, DeviceSource, FileSource, ImageSequenceSource, CameraWorker, CameraStatus.
- render_demo_media(out_dir, turn_qr_text=...) -> {scene: video path} for --demo mode.
- validate_frame(frame) -> uint8 BGR or FrameError.
Evaluation: ``python -m kiosk.scanning.evaluate``; timings: ``python -m kiosk.scanning.bench``.
"""

from kiosk.scanning.camera import (
    CameraError,
    CameraStatus,
    CameraWorker,
    DeviceSource,
    FileSource,
    FrameSource,
    ImageSequenceSource,
)
from kiosk.scanning.demo import render_demo_media
from kiosk.scanning.encode import encode_jpeg, encode_pdf
from kiosk.scanning.qr import decode_qr
from kiosk.scanning.quality import assess_frame, instruction_key
from kiosk.scanning.rectify import rectify
from kiosk.scanning.stability import StabilityState, StabilityTracker
from kiosk.scanning.types import (
    DocumentKind,
    EncodingError,
    FrameAssessment,
    FrameError,
    Problem,
    QualityThresholds,
    validate_frame,
)

__all__ = [
    "CameraError",
    "CameraStatus",
    "CameraWorker",
    "DeviceSource",
    "DocumentKind",
    "EncodingError",
    "FileSource",
    "FrameAssessment",
    "FrameError",
    "FrameSource",
    "ImageSequenceSource",
    "Problem",
    "QualityThresholds",
    "StabilityState",
    "StabilityTracker",
    "assess_frame",
    "decode_qr",
    "encode_jpeg",
    "encode_pdf",
    "instruction_key",
    "rectify",
    "render_demo_media",
    "validate_frame",
]
