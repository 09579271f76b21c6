"""Alembic environment: always run online, on the connection handed in by kiosk.store.db."""

from __future__ import annotations

from alembic import context

from kiosk.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run kiosk store migrations through kiosk.store.db.upgrade()")

# render_as_batch: SQLite cannot ALTER most things, batch mode recreates tables instead
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
