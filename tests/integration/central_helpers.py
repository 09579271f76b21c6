"""Start a real ``python -m kiosk.central serve`` on loopback, for integration tests.

Usage (as a context manager or through the ``central_server`` fixture)::

    from central_helpers import CentralServer, central_server_fixture  # noqa: F401

    def test_x(central_server: CentralServer) -> None:
        kiosk_id, credential = central_server.enrol("k1", "ag-01")
        httpx.post(central_server.base_url + "/api/v1/sync",
                   headers=central_server.kiosk_headers(kiosk_id, credential), json={...})
        central_server.kill()      # SIGKILL, like a power cut
        central_server.restart()   # same db, keys and admin token; new port unless fixed

Importable as ``central_helpers`` (tests/integration is on sys.path under pytest's default
"prepend" import mode) or as ``tests.integration.central_helpers``.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from kiosk.central.process import serve_command

_LISTENING = re.compile(r"listening on (http://\S+)")
START_TIMEOUT = 30.0


class CentralServer:
    """A central service subprocess on a temp SQLite database (or ``db_url``)."""

    def __init__(
        self,
        workdir: Path,
        *,
        db_url: str | None = None,
        admin_token: str | None = None,
        port: int = 0,
        workers: int = 1,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or f"sqlite:///{self.workdir / 'central.db'}"
        self.keys_dir = self.workdir / "keys"
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.port = port
        self.workers = workers
        self.extra_args = extra_args
        self.base_url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []  # everything the server printed (for failure messages)
        self._pump: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> CentralServer:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("already running")
        cmd = [
            *serve_command(
                self.db_url, self.keys_dir, self.admin_token, port=self.port, workers=self.workers
            ),
            *self.extra_args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # kill() takes the uvicorn workers down with it
        )
        found: list[str] = []
        ready = threading.Event()
        proc = self.proc

        def pump() -> None:  # keeps draining so a chatty server never blocks on a full pipe
            assert proc.stdout is not None
            for line in proc.stdout:
                self.output.append(line.rstrip())
                m = _LISTENING.search(line)
                if m and not found:
                    found.append(m.group(1))
                    ready.set()
            ready.set()

        self._pump = threading.Thread(target=pump, daemon=True, name="central-stdout")
        self._pump.start()
        if not ready.wait(START_TIMEOUT) or not found:
            self.kill()
            raise RuntimeError("central did not start:\n" + "\n".join(self.output[-40:]))
        self.base_url = found[0]
        self.port = int(self.base_url.rsplit(":", 1)[1])  # restart() reuses the same port
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("central exited:\n" + "\n".join(self.output[-40:]))
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("central never became healthy:\n" + "\n".join(self.output[-40:]))

    def kill(self) -> None:
        """SIGKILL the whole process group (a power cut: no clean shutdown)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        # the pump ends at EOF (the whole process group is gone); closing the pipe under it
        # would raise in its thread instead
        if self._pump is not None:
            self._pump.join(10)
            self._pump = None
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stop(self) -> None:
        """Graceful stop (SIGTERM), falling back to SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        self.kill()

    def restart(self) -> CentralServer:
        """Kill -9 (if running) and start again on the same database, keys, token and port."""
        self.kill()
        return self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> CentralServer:
        return self.start()

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- helpers

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    @staticmethod
    def kiosk_headers(kiosk_id: str, credential: str) -> dict[str, str]:
        return {"X-Kiosk-Id": kiosk_id, "Authorization": f"Bearer {credential}"}

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def enrol(self, kiosk_id: str, agency_id: str) -> tuple[str, str]:
        """Enrol a kiosk through the admin API; returns (kiosk_id, credential)."""
        r = httpx.post(
            self.base_url + "/api/v1/kiosks/enrol",
            headers=self.admin_headers,
            json={"kiosk_id": kiosk_id, "agency_id": agency_id},
            timeout=10,
        )
        r.raise_for_status()
        body = r.json()
        return body["kiosk_id"], body["credential"]

    def revoke(self, kiosk_id: str) -> None:
        httpx.post(
            f"{self.base_url}/api/v1/kiosks/{kiosk_id}/revoke",
            headers=self.admin_headers,
            timeout=10,
        ).raise_for_status()

    def book_turn(self, **fields: str) -> dict[str, str]:
        """Book an online turn (admin API); fields as in POST /api/v1/turns."""
        r = httpx.post(
            self.base_url + "/api/v1/turns", headers=self.admin_headers, json=fields, timeout=10
        )
        r.raise_for_status()
        return dict(r.json())


@pytest.fixture(name="central_server")
def central_server_fixture() -> Iterator[CentralServer]:
    """A fresh central on a temp SQLite db; stopped (and its files removed) after the test."""
    with tempfile.TemporaryDirectory(prefix="central-") as tmp, CentralServer(Path(tmp)) as server:
        yield server


central_server = central_server_fixture  # importable under either name


# -------------------------------------------------------------------- PostgreSQL

PG_HOWTO = (
    "PostgreSQL tests are skipped: set KIOSK_TEST_PG_URL="
    "postgresql+psycopg://postgres@127.0.0.1:5432/test with the server running "
    "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start); "
    "KIOSK_REQUIRE_PG=1 turns this skip into a failure"
)


def pg_base_url() -> str:
    """KIOSK_TEST_PG_URL if set and reachable; otherwise skip (or fail under KIOSK_REQUIRE_PG=1)."""
    url = os.environ.get("KIOSK_TEST_PG_URL", "")
    problem = "" if url else "KIOSK_TEST_PG_URL is not set"
    if url:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text("SELECT 1"))
        except Exception as exc:  # unreachable server, bad URL, auth...
            problem = f"cannot connect to KIOSK_TEST_PG_URL ({type(exc).__name__})"
        finally:
            engine.dispose()
    if problem:
        if os.environ.get("KIOSK_REQUIRE_PG") == "1":
            pytest.fail(f"{problem} and KIOSK_REQUIRE_PG=1")
        pytest.skip(f"{problem}. {PG_HOWTO}")
    return url


@contextmanager
def pg_schema_url(base_url: str) -> Iterator[str]:
    """A fresh schema on the test database (dropped afterwards), as a URL whose connections
    use it as search_path: runs and tests never see each other's tables."""
    import sqlalchemy
    from sqlalchemy.engine import make_url

    schema = f"kc_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(name="pg_url")
def pg_url_fixture() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (see pg_schema_url)."""
    with pg_schema_url(pg_base_url()) as url:
        yield url


pg_url = pg_url_fixture
