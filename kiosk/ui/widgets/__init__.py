"""Reusable kiosk widgets: big buttons, cards, keypads, header/footer, the idle overlay."""
