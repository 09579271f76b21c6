"""Logging: named loggers per subsystem, JSON lines, rotating files, and no personal data.

Code is written never to log personal data; the PiiFilter is the safety net underneath it: any
run of 6+ digits (ID numbers, phone numbers) and e-mail addresses are masked before a record is
written anywhere, including tracebacks.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
from datetime import UTC, datetime
from pathlib import Path

_DIGITS = re.compile(r"(?<![\w.])\d{6,}(?![\w.])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def scrub(text: str) -> str:
    text = _EMAIL.sub("<email>", text)
    return _DIGITS.sub(lambda m: "<" + "#" * min(len(m.group()), 4) + ">", text)


class PiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = scrub(message), None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(
    log_dir: Path | None, *, level: int = logging.INFO, console: bool = True
) -> Path | None:
    """Route the "kiosk" logger tree to a rotating JSON-lines file (and stderr, short form)."""
    root = logging.getLogger("kiosk")
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.propagate = False
    pii = PiiFilter()
    path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "kiosk.log"
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.addFilter(pii)
        file_handler.setFormatter(JsonFormatter())
        root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.addFilter(pii)
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        stream.setLevel(logging.WARNING)
        root.addHandler(stream)
    return path


def read_recent(log_dir: Path, limit: int = 200) -> list[dict[str, str]]:
    """The technician's log viewer: the newest entries, already free of personal data."""
    path = log_dir / "kiosk.log"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
