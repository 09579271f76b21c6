"""``python -m kiosk.central`` = the ``kiosk-central`` console script."""

from kiosk.central.cli import console_main

if __name__ == "__main__":
    console_main()
