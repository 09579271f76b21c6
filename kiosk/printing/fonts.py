"""Fonts for receipts: DejaVu Sans, bundled in resources/fonts (covers Spanish accents, ✓ and •).

Registration with reportlab is lazy and happens once: importing kiosk.printing stays cheap and
does no file I/O.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "fonts"
REGULAR_TTF = FONTS_DIR / "DejaVuSans.ttf"
BOLD_TTF = FONTS_DIR / "DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class FontSet:
    """The two reportlab font names a layout uses."""

    regular: str
    bold: str
    embedded: bool  # False: PDF standard fonts (no ✓, only Latin-1); used as the bench baseline


EMBEDDED = FontSet("KioskSans", "KioskSans-Bold", embedded=True)
STANDARD = FontSet("Helvetica", "Helvetica-Bold", embedded=False)

_lock = threading.Lock()
_registered = False


def ensure_registered() -> FontSet:
    """Register the bundled TTFs with reportlab (first call only) and return their names."""
    global _registered
    if _registered:
        return EMBEDDED
    with _lock:
        if not _registered:
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            for path in (REGULAR_TTF, BOLD_TTF):
                if not path.is_file():
                    raise FileNotFoundError(f"receipt font missing: {path}")
            pdfmetrics.registerFont(TTFont(EMBEDDED.regular, str(REGULAR_TTF)))
            pdfmetrics.registerFont(TTFont(EMBEDDED.bold, str(BOLD_TTF)))
            _registered = True
    return EMBEDDED


@lru_cache(maxsize=64)
def pil_font(bold: bool, size_px: int):  # type: ignore[no-untyped-def]  # PIL FreeTypeFont
    """A PIL font of the same face, for raster renditions (cached: loading a TTF costs ~1 ms)."""
    from PIL import ImageFont

    return ImageFont.truetype(str(BOLD_TTF if bold else REGULAR_TTF), size_px)
