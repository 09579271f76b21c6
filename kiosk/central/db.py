"""Engine setup and schema migrations (Alembic, run programmatically at start).

SQLite is the embedded default: WAL, and every transaction starts with BEGIN IMMEDIATE so that
two writers never both read and then fight over the upgrade to a write lock (that is what makes
"call next" safe on SQLite). PostgreSQL uses row locks (SELECT ... FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READONLY = "kiosk_readonly"
_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            hide_parameters=True,  # SQL errors must not carry citizens' data into logs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see "begin" below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _WRITE_LOCKS[engine] = threading.Lock()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # readers (see read_factory) need no write lock: WAL gives them a snapshot
            readonly = conn.get_execution_options().get(READONLY, False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that only read (a plain deferred BEGIN on SQLite)."""
    return sessionmaker(engine.execution_options(**{READONLY: True}), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction, committed on exit. On SQLite, writers of this process queue on a lock
    first: SQLite's own busy handler polls with sleeps of up to 100 ms, which turns contention
    into multi-second tail latencies."""
    lock = _WRITE_LOCKS.get(factory.kw.get("bind"))  # type: ignore[arg-type]
    with lock if lock is not None else nullcontext(), factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe at every start)."""
    command.upgrade(alembic_config(engine), "head")
