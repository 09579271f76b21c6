"""The kiosk's look: IESS institutional palette, large type, big touch targets, two variants
(normal and high contrast), scaled to the screen.

The QSS files in resources/theme/ use @placeholders@ for sizes and colours so one file serves
every screen size: sizes are in px at a 1080-px short side and scaled by `Metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase

THEME_DIR = Path(__file__).resolve().parents[2] / "resources" / "theme"
FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"

TOUCH_MIN_PX = 64  # the hard floor for anything a finger must hit (tests check it)

# Institutional palette (IESS blue, white, warm accent) and the high-contrast variant.
PALETTE: dict[str, str] = {
    "blue": "#003B71",
    "blue_dark": "#002648",
    "blue_light": "#E6EEF6",
    "accent": "#F2A900",
    "accent_dark": "#C98A00",
    "go": "#1B7F3B",
    "go_dark": "#125C2A",
    "bg": "#F5F7FA",
    "card": "#FFFFFF",
    "text": "#14212E",
    "muted": "#46566A",
    "border": "#C5D1DE",
    "warn_bg": "#FFF4D6",
    "error": "#A4161A",
}
HIGH_CONTRAST: dict[str, str] = {
    **PALETTE,
    "blue": "#000000",
    "blue_dark": "#000000",
    "blue_light": "#000000",
    "accent": "#FFD400",
    "accent_dark": "#FFE866",
    "go": "#FFD400",
    "go_dark": "#FFE866",
    "bg": "#000000",
    "card": "#000000",
    "text": "#FFFFFF",
    "muted": "#FFFFFF",
    "border": "#FFFFFF",
    "warn_bg": "#000000",
    "error": "#FF8080",
}


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes for a window of the given size (short side 1080 px = scale 1)."""

    width: int
    height: int
    large_text: bool = False

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def scale(self) -> float:
        return max(0.6, min(2.0, min(self.width, self.height) / 1080))

    @property
    def text_scale(self) -> float:
        return self.scale * (1.25 if self.large_text else 1.0)

    def px(self, base: float, *, text: bool = False) -> int:
        return round(base * (self.text_scale if text else self.scale))

    @property
    def body(self) -> int:
        return max(24, self.px(28, text=True))

    @property
    def title(self) -> int:
        return max(40, self.px(46, text=True))

    @property
    def touch(self) -> int:
        """Minimum height of a button (well above TOUCH_MIN_PX on every supported size)."""
        return max(TOUCH_MIN_PX + 16, self.px(92))

    def sizes(self) -> dict[str, str]:
        body, title = self.body, self.title
        return {
            "body": f"{body}px",
            "small": f"{max(22, round(body * 0.85))}px",
            "large": f"{round(body * 1.25)}px",
            "title": f"{title}px",
            "huge": f"{self.px(150, text=True)}px",
            "touch": f"{self.touch}px",
            "key": f"{max(TOUCH_MIN_PX + 16, self.px(104))}px",
            "pad": f"{self.px(20)}px",
            "radius": f"{self.px(14)}px",
            "header": f"{max(TOUCH_MIN_PX, self.px(76))}px",
            "border": f"{max(2, self.px(3))}px",
        }


@lru_cache(maxsize=4)
def _read(name: str) -> str:
    return (THEME_DIR / name).read_text(encoding="utf-8")


def stylesheet(metrics: Metrics, *, high_contrast: bool = False) -> str:
    """The full QSS for these metrics: kiosk.qss, plus high-contrast.qss when asked."""
    qss = _read("kiosk.qss")
    if high_contrast:
        qss += "\n" + _read("high-contrast.qss")
    values = {**(HIGH_CONTRAST if high_contrast else PALETTE), **metrics.sizes()}
    for key, value in values.items():
        qss = qss.replace(f"@{key}@", value)
    return qss


_fonts_loaded = False


def load_fonts() -> str:
    """Register the bundled DejaVu fonts (the same glyphs on every kiosk and in screenshots)."""
    global _fonts_loaded
    if not _fonts_loaded:
        for path in sorted(FONT_DIR.glob("*.ttf")):
            QFontDatabase.addApplicationFont(str(path))
        _fonts_loaded = True
    return "DejaVu Sans"


def base_font(metrics: Metrics) -> QFont:
    font = QFont(load_fonts())
    font.setPixelSize(metrics.body)
    return font
