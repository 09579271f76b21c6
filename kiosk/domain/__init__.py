"""Qt-free core of the kiosk: rules, records and ports.

Nothing here may import PySide6, OpenCV, reportlab, qrcode, zxing-cpp or SQLAlchemy
(tests/unit/test_architecture.py enforces it), so the rules run and are tested without a screen.
"""
