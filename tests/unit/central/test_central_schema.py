"""The Alembic migrations produce exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from kiosk.central.db import alembic_config, make_engine, migrate


def test_sqlite_migrations_match_models_and_rerun(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(engine)
    migrate(engine)  # idempotent: every start runs it
    command.check(alembic_config(engine))  # raises if autogenerate would find a difference
    command.downgrade(alembic_config(engine), "base")
    migrate(engine)
    engine.dispose()
