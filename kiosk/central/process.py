"""Starting `kiosk-central serve` as a child process: the demo, the benchmark and the tests all
run the real service this way, on loopback."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

_LISTENING = re.compile(r"listening on (http://\S+)")


def serve_command(
    db_url: str,
    keys_dir: Path,
    admin_token: str,
    *,
    port: int = 0,
    workers: int = 1,
    log_level: str = "warning",
) -> list[str]:
    return [
        sys.executable, "-m", "kiosk.central", "serve",
        "--db", db_url,
        "--keys", str(keys_dir),
        "--host", "127.0.0.1",
        "--port", str(port),
        f"--admin-token={admin_token}",  # "=" form: a token may start with "-"
        "--workers", str(workers),
        "--log-level", log_level,
    ]  # fmt: skip


def read_listening_url(lines: Iterable[str]) -> str:
    """The base URL the service prints once it is bound ("" if it exited first)."""
    for line in lines:
        match = _LISTENING.search(line)
        if match:
            return match.group(1)
    return ""
