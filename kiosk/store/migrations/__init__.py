"""Alembic migrations of the kiosk store, applied programmatically by `KioskStore.open`."""
