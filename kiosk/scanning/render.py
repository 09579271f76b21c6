"""Synthetic documents and backgrounds with no real personal data.

Shared by the evaluation corpus (kiosk.scanning.corpus) and the demo media (kiosk.scanning.demo).
Everything is drawn with OpenCV primitives so it is fast and deterministic for a given seed.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import qrcode

FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SERIF = cv2.FONT_HERSHEY_COMPLEX_SMALL
FONT_HAND = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX

DEMO_NAME = "MARÍA EJEMPLO DEMO"
DEMO_ID_NUMBER = "1700000000-DEMO"


def _ascii(text: str) -> str:
    # Hershey fonts only have ASCII; drop accents so "MARÍA" renders as "MARIA".
    table = str.maketrans("ÁÉÍÓÚÑáéíóúñ", "AEIOUNaeioun")
    return text.translate(table)


def _text(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    color: tuple[int, int, int],
    thickness: int = 1,
    font: int = FONT,
) -> None:
    cv2.putText(img, _ascii(text), org, font, scale, color, thickness, cv2.LINE_AA)


def signature(
    img: np.ndarray,
    x: int,
    y: int,
    w: int,
    h: int,
    rng: np.random.Generator,
    color: tuple[int, int, int] = (120, 40, 20),
) -> None:
    """A handwritten-looking scribble: a chain of cubic Bézier loops drawn as one polyline."""
    pts: list[np.ndarray] = []
    cursor = np.array([x, y + h * 0.6])
    t = np.linspace(0.0, 1.0, 24)[:, None]
    for _ in range(6):
        p0 = cursor
        p3 = p0 + np.array([w / 6 * rng.uniform(0.7, 1.3), h * rng.uniform(-0.3, 0.3)])
        p1 = p0 + np.array([w * rng.uniform(-0.05, 0.12), -h * rng.uniform(0.3, 0.8)])
        p2 = p3 + np.array([-w * rng.uniform(-0.05, 0.15), h * rng.uniform(0.3, 0.8)])
        curve = (
            ((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
        )
        pts.append(curve)
        cursor = p3
    poly = np.concatenate(pts).astype(np.int32)
    cv2.polylines(img, [poly], False, color, 2, cv2.LINE_AA)
    cv2.line(img, (x, int(y + h * 0.95)), (x + w, int(y + h * 0.85)), color, 2, cv2.LINE_AA)


@lru_cache(maxsize=16)
def _id_card(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = 340, 540
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.uint8)
    # Pale guilloche-like background: the real cédula is light with fine colour patterns.
    img[:, :, 0] = (215 + 20 * np.sin(xx / 9.0 + np.sin(yy / 23.0) * 3)).astype(np.uint8)
    img[:, :, 1] = (228 + 15 * np.sin(yy / 7.0 + xx / 40.0)).astype(np.uint8)
    img[:, :, 2] = (238 + 10 * np.cos(xx / 13.0)).astype(np.uint8)
    cv2.rectangle(img, (0, 0), (w, 52), (150, 95, 30), -1)
    _text(img, "REPUBLICA DEL ECUADOR", (18, 22), 0.62, (255, 255, 255), 2)
    _text(img, "DOCUMENTO DE DEMOSTRACION - SIN VALIDEZ", (18, 44), 0.42, (220, 240, 255), 1)
    cv2.rectangle(img, (22, 70), (172, 262), (170, 170, 175), -1)
    cv2.circle(img, (97, 140), 38, (120, 120, 130), -1)
    cv2.ellipse(img, (97, 250), (62, 60), 0, 180, 360, (120, 120, 130), -1)
    rows = [
        ("APELLIDOS / NOMBRES", DEMO_NAME),
        ("NUMERO", DEMO_ID_NUMBER),
        ("NACIMIENTO", "01 ENE 1990"),
        ("NACIONALIDAD", "ECUATORIANA"),
    ]
    for i, (label, value) in enumerate(rows):
        y = 86 + i * 48
        _text(img, label, (190, y), 0.4, (110, 80, 40))
        _text(img, value, (190, y + 22), 0.58, (30, 30, 30), 1)
    signature(img, 200, 280, 180, 40, rng, (60, 40, 30))
    _text(img, "I<ECU" + "0" * 9 + "<<DEMO", (20, 325), 0.5, (40, 40, 40), 1, FONT_SERIF)
    return img


@lru_cache(maxsize=16)
def _passport(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = 440, 625
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.uint8)
    wave = np.sin(xx / 11.0 + 2 * np.sin(yy / 31.0))
    img[:, :, 0] = (200 + 12 * wave).astype(np.uint8)
    img[:, :, 1] = (222 + 10 * wave).astype(np.uint8)
    img[:, :, 2] = (236 + 6 * wave).astype(np.uint8)
    _text(img, "PASAPORTE / PASSPORT   DEMO", (24, 34), 0.7, (90, 50, 20), 2)
    cv2.rectangle(img, (24, 60), (194, 290), (165, 165, 170), -1)
    cv2.circle(img, (109, 145), 44, (115, 115, 125), -1)
    cv2.ellipse(img, (109, 280), (70, 70), 0, 180, 360, (115, 115, 125), -1)
    fields = [
        ("Apellidos / Surname", "EJEMPLO DEMO"),
        ("Nombres / Given names", "MARIA"),
        ("Nacionalidad", "ECUATORIANA"),
        ("Fecha de nacimiento", "01 ENE 1990"),
        ("No. pasaporte", "DEMO00000"),
    ]
    for i, (label, value) in enumerate(fields):
        y = 76 + i * 44
        _text(img, label, (215, y), 0.42, (100, 70, 40))
        _text(img, value, (215, y + 22), 0.6, (25, 25, 25))
    signature(img, 230, 300, 200, 40, rng, (50, 30, 20))
    mrz = [
        "P<ECUEJEMPLO<DEMO<<MARIA<<<<<<<<<<<<<<<<<<<<",
        "DEMO00000<0ECU9001017F3001012<<<<<<<<<<<<<<00",
    ]
    for i, line in enumerate(mrz):
        _text(img, line, (18, 380 + i * 34), 0.62, (20, 20, 20), 1, FONT_SERIF)
    return img


LETTER_LINES = [
    "Quito, 25 de noviembre de 2026",
    "",
    "Senores",
    "INSTITUTO ECUATORIANO DE SEGURIDAD SOCIAL",
    "Centro de Atencion Universal",
    "Presente.-",
    "",
    "De mi consideracion:",
    "",
    "Yo, MARIA EJEMPLO DEMO, con documento de demostracion",
    "numero 1700000000-DEMO, solicito de la manera mas",
    "comedida se me conceda el certificado para atencion",
    "medica del Seguro General de Riesgos del Trabajo.",
    "",
    "Por la atencion que se digne dar a la presente,",
    "anticipo mis agradecimientos.",
    "",
    "Atentamente,",
]


@lru_cache(maxsize=16)
def _letter(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = 848, 600
    img = np.full((h, w, 3), 247, np.uint8)
    img[:, :, 0] = 243  # paper is slightly warm
    y = 90
    for line in LETTER_LINES:
        if line:
            _text(img, line, (60, y), 0.5, (35, 35, 35), 1, FONT_SERIF)
        y += 26
    signature(img, 70, y + 10, 190, 60, rng, (140, 50, 20))
    _text(img, "MARIA EJEMPLO DEMO", (60, y + 110), 0.5, (35, 35, 35), 1, FONT_SERIF)
    _text(img, "C.I. 1700000000-DEMO", (60, y + 136), 0.5, (35, 35, 35), 1, FONT_SERIF)
    return img


def qr_image(text: str, box: int = 8, border: int = 2, dark: bool = False) -> np.ndarray:
    """A BGR QR code image (black on white, or white on black when ``dark``)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    modules = np.array(qr.get_matrix(), dtype=bool)
    grey = np.where(modules, 0, 255).astype(np.uint8)
    if dark:
        grey = 255 - grey
    grey = cv2.resize(grey, None, fx=box, fy=box, interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def confirmation_sheet(qr_text: str) -> np.ndarray:
    """A paper 'Confirmación del Turno en Línea' with the QR (half-letter sized)."""
    h, w = 620, 600
    img = np.full((h, w, 3), 246, np.uint8)
    _text(img, "IESS - CONFIRMACION DEL TURNO EN LINEA", (30, 50), 0.6, (30, 30, 30), 2)
    _text(img, "DEMO - sin validez", (30, 80), 0.5, (60, 60, 60))
    code = qr_image(qr_text, box=7)
    side = min(code.shape[0], 360)
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    x0 = (w - side) // 2
    img[110 : 110 + side, x0 : x0 + side] = code
    _text(
        img, "Presente este codigo en el kiosco del CAU", (60, 110 + side + 40), 0.5, (40, 40, 40)
    )
    return img


def phone_with_qr(qr_text: str, dark_mode: bool = False) -> np.ndarray:
    """A phone (black bezel, screen) showing the QR; returned with its own dark background."""
    h, w = 640, 320
    img = np.full((h, w, 3), 25, np.uint8)
    cv2.rectangle(
        img, (14, 40), (w - 14, h - 40), (250, 250, 250) if not dark_mode else (20, 20, 20), -1
    )
    fg = (30, 30, 30) if not dark_mode else (230, 230, 230)
    _text(img, "Turno en linea", (40, 90), 0.7, fg, 2)
    code = qr_image(qr_text, box=6, dark=dark_mode)
    side = w - 28 - 24
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    img[150 : 150 + side, 26 : 26 + side] = code
    _text(img, "IESS - DEMO", (40, 150 + side + 50), 0.6, fg, 1)
    return img


def document(kind: str, seed: int = 0) -> np.ndarray:
    """A synthetic document image: "id_card", "passport" or "letter" (copy, safe to modify)."""
    makers = {"id_card": _id_card, "passport": _passport, "letter": _letter}
    return makers[kind](seed % 4).copy()


# --- backgrounds -------------------------------------------------------------------------------


def wood(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.uniform(0, 6.28)
    grain = np.sin((yy + 25 * np.sin(xx / 170.0 + phase)) / 6.0) * 0.5 + 0.5
    base = np.array([55, 95, 140], np.float32) * (0.85 + 0.3 * grain[:, :, None])
    return np.clip(base, 0, 255).astype(np.uint8)


def background(style: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Backgrounds the corpus exercises: dark, light, white, patterned, cluttered, wood."""
    if style == "wood":
        return wood(h, w, rng)
    if style == "dark":
        level = rng.uniform(25, 70)
        img = np.full((h, w, 3), level, np.float32) * rng.uniform(0.8, 1.2, 3)
    elif style == "light":
        img = np.full((h, w, 3), rng.uniform(150, 190), np.float32) * rng.uniform(0.9, 1.1, 3)
    elif style == "white":
        # White page on a light table: the classic failure. The table is a few levels darker with
        # a soft gradient, like a real light desk under a ceiling lamp.
        level = rng.uniform(200, 222)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        img = (level - 12 * (xx / w) + 8 * (yy / h))[:, :, None] * np.array(
            [0.99, 1.0, 1.0], np.float32
        )
    elif style == "patterned":
        yy, xx = np.mgrid[0:h, 0:w]
        period = int(rng.integers(18, 40))
        checker = ((xx // period + yy // period) % 2).astype(np.float32)
        c1 = rng.uniform(60, 200, 3)
        c2 = rng.uniform(60, 200, 3)
        img = checker[:, :, None] * c1 + (1 - checker[:, :, None]) * c2
    else:  # cluttered
        img = np.full((h, w, 3), rng.uniform(80, 160), np.float32)
        img = img.astype(np.uint8)
        for _ in range(25):
            color = tuple(int(c) for c in rng.integers(0, 255, 3))
            if rng.random() < 0.5:
                x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
                cv2.rectangle(
                    img,
                    (x, y),
                    (x + int(rng.integers(20, 200)), y + int(rng.integers(20, 120))),
                    color,
                    -1,
                )
            else:
                p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                cv2.line(img, p1, p2, color, int(rng.integers(1, 6)), cv2.LINE_AA)
        return img
    return np.clip(img, 0, 255).astype(np.uint8)


def place(bg: np.ndarray, doc: np.ndarray, quad: np.ndarray, shadow: bool = True) -> np.ndarray:
    """Warp ``doc`` onto ``bg`` so its outer corners land exactly on ``quad`` (TL, TR, BR, BL).

    The document's outer boundary is at pixel-centre coordinates -0.5 and size-0.5, so the ground
    truth corners are exactly ``quad``. Blended with an anti-aliased mask; optional soft shadow.
    """
    h, w = doc.shape[:2]
    src = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    hmat = cv2.getPerspectiveTransform(src, np.float32(quad))
    size = (bg.shape[1], bg.shape[0])
    # Supersampled mask (only over the quad's bounding box) gives an accurate anti-aliased boundary.
    q = np.float32(quad)
    x0, y0 = np.maximum(np.floor(q.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(q.max(axis=0)).astype(int) + 3, [size[0], size[1]])
    alpha = np.zeros(bg.shape[:2], np.float32)
    if x1 > x0 and y1 > y0:
        ss = 4
        mask = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
        local = (q - [x0, y0] + 0.5) * ss - 0.5
        cv2.fillConvexPoly(mask, np.round(local * 16).astype(np.int32), 255, cv2.LINE_8, shift=4)
        alpha[y0:y1, x0:x1] = (
            cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA) / 255.0
        )
    # Work only inside the quad's neighbourhood: the rest of the frame is the background.
    bx0, by0 = max(int(x0) - 12, 0), max(int(y0) - 12, 0)
    bx1, by1 = min(int(x1) + 12, size[0]), min(int(y1) + 12, size[1])
    out = bg.copy()
    if bx1 <= bx0 or by1 <= by0:
        return out
    shift = np.array([[1, 0, -bx0], [0, 1, -by0], [0, 0, 1]], np.float64)
    warped = cv2.warpPerspective(
        doc,
        shift @ hmat,
        (bx1 - bx0, by1 - by0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    region = out[by0:by1, bx0:bx1].astype(np.float32)
    a = alpha[by0:by1, bx0:bx1]
    if shadow:
        sh = cv2.GaussianBlur(a, (0, 0), 4.0)
        sh = np.roll(sh, (3, 3), axis=(0, 1))
        region *= (1.0 - 0.25 * sh)[:, :, None]
    a3 = a[:, :, None]
    region = region * (1 - a3) + warped.astype(np.float32) * a3
    out[by0:by1, bx0:bx1] = np.clip(region, 0, 255).astype(np.uint8)
    return out
