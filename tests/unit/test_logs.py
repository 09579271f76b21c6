import json
import logging

from kiosk import logs


def test_scrub_masks_id_numbers_phones_and_emails() -> None:
    text = "cédula 1710034065, tel 0990000000, mail ana.perez@example.com, ticket D-107"
    clean = logs.scrub(text)
    assert "1710034065" not in clean
    assert "0990000000" not in clean
    assert "ana.perez@example.com" not in clean
    assert "D-107" in clean  # short ticket numbers are not personal data


def test_log_file_is_json_lines_without_personal_data(tmp_path) -> None:
    path = logs.configure(tmp_path, console=False)
    log = logging.getLogger("kiosk.test")
    log.info("visit for %s", "1710034065")
    try:
        raise ValueError("bad id 1710034065")
    except ValueError:
        log.exception("failed")
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    assert path is not None
    raw = path.read_text(encoding="utf-8")
    assert "1710034065" not in raw
    entries = [json.loads(line) for line in raw.splitlines()]
    assert entries[0]["logger"] == "kiosk.test"
    assert "exc" in entries[1] and "ValueError" in entries[1]["exc"]
    assert [e["msg"] for e in logs.read_recent(tmp_path)] == [e["msg"] for e in entries]
    logs.configure(None, console=False)
