"""Alembic environment: the engine comes from kiosk.central.db.migrate (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from kiosk.central.models import Base

engine = context.config.attributes["engine"]
is_sqlite = engine.dialect.name == "sqlite"

with engine.connect() as connection:
    if not is_sqlite:
        # several replicas may start together: one migrates, the others wait for it
        connection.execute(text("SELECT pg_advisory_lock(742001)"))
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=is_sqlite,  # SQLite cannot ALTER most things in place
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if not is_sqlite:
            connection.execute(text("SELECT pg_advisory_unlock(742001)"))
            connection.commit()
