"""Engine creation, SQLite pragmas and programmatic Alembic migrations for the kiosk store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from kiosk.store.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000


def make_engine(db_path: Path) -> Engine:
    """An engine for one kiosk database file, configured for durability.

    - journal_mode=WAL: the worker thread can read the outbox while the UI thread writes a visit.
    - synchronous=FULL: in WAL mode NORMAL already survives a kill -9 of the process (the WAL is
      in the OS page cache), but not a power cut or kernel panic, which happen at kiosks. FULL
      fsyncs the WAL at every commit, so a ticket the citizen was told about survives both; the
      cost is one fsync per visit, a few milliseconds.
    - BEGIN IMMEDIATE: every transaction takes the write lock up front, so two threads never
      deadlock upgrading read locks (SQLITE_BUSY half-way through a visit).
    """
    engine = create_engine(
        f"sqlite+pysqlite:///{db_path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=2,
        max_overflow=2,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # take transaction control away from the sqlite3 module so BEGIN IMMEDIATE is ours
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine, db_path: Path) -> None:
    """Bring the schema to the newest revision; a corrupt file becomes a clear StoreError."""
    try:
        with engine.begin() as conn:
            conn.execute(text("PRAGMA schema_version")).scalar()  # touches the file header
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError as exc:
        if isinstance(exc.orig, sqlite3.DatabaseError) and not isinstance(
            exc.orig, sqlite3.OperationalError
        ):
            raise StoreError(
                f"the kiosk database {db_path} is corrupt or not a database ({exc.orig}); "
                "move it aside and restore from the central service"
            ) from exc
        raise StoreError(f"cannot open the kiosk database {db_path}: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the kiosk database {db_path}: {exc}") from exc
