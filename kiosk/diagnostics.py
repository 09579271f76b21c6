"""The technician's diagnostics, self-test and offline outbox export. Qt-free.

`collect()` reads the kiosk's health without side effects (no paper, no network); `self_test()`
exercises the kiosk end to end without a citizen (prints a test receipt, talks to the central);
`export_outbox()` writes the pending outbox to removable media as one encrypted, authenticated
bundle that the central service imports with `read_bundle()`.

Every text a technician reads comes from the "staff" i18n namespace; `detail` may also carry the
technician-facing English text of a lower layer (a store or printer error), never personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk.config import KioskSettings
from kiosk.domain.ports import Clock, Printer, PrinterState, PrintResult, SyncHealth
from kiosk.i18n import Translator

log = logging.getLogger("kiosk.diagnostics")

GB = 1024**3
MB = 1024**2
DISK_WARN_BYTES = 1 * GB
DISK_FAIL_BYTES = 200 * MB
DRIFT_WARN_S = 30.0  # arrival windows are minutes wide; half a minute is already visible
DRIFT_FAIL_S = 300.0
LOG_WARN_BYTES = 50 * MB  # rotation caps the logs near 12 MB; more means rotation is broken
BACKLOG_WARN_AGE = timedelta(hours=1)
BACKLOG_FAIL_AGE = timedelta(hours=24)
CAMERA_OK_FPS = 20.0
CAMERA_WARN_FPS = 10.0


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"  # not measured / not applicable here: neither good nor bad


@dataclass(frozen=True)
class Check:
    id: str
    label_key: str  # i18n key of the check's name
    status: Status
    value: str = ""  # short, translated: "12 pendientes", "3,2 GB libres"
    detail: str = ""  # longer, technician-facing


@dataclass(frozen=True)
class CameraReading:
    """What the live camera test measured (the diagnostics never open the camera themselves:
    the capture screen or the staff camera test owns it)."""

    fps: float | None
    ok: bool = True
    detail: str = ""


class ServicesLike(Protocol):
    """The attributes of kiosk.app.AppServices these functions use."""

    settings: KioskSettings
    store: Any
    printer: Printer
    sync: Any
    data_dir: Path
    clock: Clock


def _tr(services: ServicesLike, tr: Translator | None) -> Translator:
    return tr or Translator(services.settings.language)


def _guard(check_id: str, label_key: str, fn: Callable[[], Check]) -> Check:
    """One broken subsystem must not hide the others: its check fails, the rest still run."""
    try:
        return fn()
    except Exception as exc:
        log.error("diagnostic %s raised %s", check_id, type(exc).__name__)
        return Check(check_id, label_key, Status.FAIL, type(exc).__name__, str(exc)[:300])


def _fmt_bytes(n: float) -> str:
    for unit, size in (("GB", GB), ("MB", MB), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".", ",")
    return f"{int(n)} B"


def _aware(when: datetime | None) -> datetime | None:
    """The store's UTCDateTime is aware; a plain SQLite column would hand back naive UTC."""
    if when is not None and when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when


def format_time(when: datetime | None, now: datetime) -> str:
    """Kiosk-local time: just the time for today, the date too otherwise."""
    when = _aware(when)
    if when is None:
        return "—"
    local = when.astimezone(now.tzinfo)
    if local.date() == now.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- diagnostics


def collect(
    services: ServicesLike,
    camera: CameraReading | None = None,
    *,
    tr: Translator | None = None,
) -> list[Check]:
    """Every health reading, in the order the technician reads them. Never raises."""
    t = _tr(services, tr)
    now = services.clock.now()
    store = services.store
    checks: list[Check] = []

    def camera_check() -> Check:
        key = "staff.check_camera"
        if camera is None:
            return Check(
                "camera", key, Status.SKIP, t("staff.not_measured"), t("staff.camera_not_measured")
            )
        if not camera.ok or camera.fps is None:
            return Check("camera", key, Status.FAIL, t("staff.camera_unavailable"), camera.detail)
        fps = camera.fps
        status = (
            Status.OK
            if fps >= CAMERA_OK_FPS
            else Status.WARN
            if fps >= CAMERA_WARN_FPS
            else Status.FAIL
        )
        return Check(
            "camera", key, status, t("staff.fps", fps=f"{fps:.1f}".replace(".", ",")), camera.detail
        )

    def printer_check() -> Check:
        key = "staff.check_printer"
        status_fn = getattr(services, "printer_status", None)
        st = status_fn() if callable(status_fn) else services.printer.status()
        status = (
            Status.OK
            if st.state is PrinterState.READY
            else Status.WARN
            if st.can_print
            else Status.FAIL
        )
        value = t(f"staff.printer_state_{st.state.value}")
        detail = " · ".join(x for x in (services.printer.name, st.detail) if x)
        return Check("printer", key, status, value, detail)

    def database_check() -> Check:
        key = "staff.check_database"
        result = store.integrity_check()
        if result == "ok":
            return Check("database", key, Status.OK, t("staff.integrity_ok"))
        return Check("database", key, Status.FAIL, t("staff.integrity_bad"), result)

    def disk_check() -> Check:
        key = "staff.check_disk"
        usage = shutil.disk_usage(services.data_dir)
        status = (
            Status.FAIL
            if usage.free < DISK_FAIL_BYTES
            else Status.WARN
            if usage.free < DISK_WARN_BYTES
            else Status.OK
        )
        return Check(
            "disk",
            key,
            status,
            t("staff.disk_free", free=_fmt_bytes(usage.free)),
            t("staff.disk_detail", total=_fmt_bytes(usage.total), path=str(services.data_dir)),
        )

    def clock_check() -> Check:
        key = "staff.check_clock"
        drift = getattr(services.sync, "clock_drift", None) if services.sync else None
        if drift is None:
            return Check(
                "clock",
                key,
                Status.SKIP,
                now.strftime("%Y-%m-%d %H:%M:%S"),
                t("staff.clock_no_reference"),
            )
        size = abs(float(drift))
        status = (
            Status.FAIL
            if size >= DRIFT_FAIL_S
            else Status.WARN
            if size >= DRIFT_WARN_S
            else Status.OK
        )
        return Check(
            "clock",
            key,
            status,
            t("staff.drift", seconds=f"{drift:+.0f}"),
            t("staff.clock_detail", now=now.strftime("%Y-%m-%d %H:%M:%S")),
        )

    health = sync_health(services)

    def backlog_check() -> Check:
        key = "staff.check_backlog"
        summary = store.outbox_summary()
        oldest = _aware(summary.oldest_pending)
        age = (now - oldest) if oldest is not None else None
        detail = t(
            "staff.backlog_detail",
            dead=summary.dead,
            acked=summary.acked,
            oldest=format_time(oldest, now),
        )
        value = t("staff.pending_count", count=summary.pending)
        if age is not None and age >= BACKLOG_FAIL_AGE:
            return Check("sync_backlog", key, Status.FAIL, value, detail)
        if summary.pending and (not health.online or (age is not None and age >= BACKLOG_WARN_AGE)):
            return Check("sync_backlog", key, Status.WARN, value, detail)
        return Check("sync_backlog", key, Status.OK, value, detail)

    def last_success_check() -> Check:
        key = "staff.check_last_success"
        if services.sync is None:
            return Check(
                "sync_last_success",
                key,
                Status.WARN,
                t("staff.sync_not_configured"),
                t("staff.sync_not_configured_detail"),
            )
        state = t("staff.online") if health.online else t("staff.offline")
        if health.last_success is None:
            status = Status.WARN if health.backlog else Status.OK
            return Check("sync_last_success", key, status, t("staff.never"), state)
        return Check(
            "sync_last_success", key, Status.OK, format_time(health.last_success, now), state
        )

    def last_error_check() -> Check:
        key = "staff.check_last_error"
        if not health.last_error:
            return Check("sync_last_error", key, Status.OK, t("staff.none"))
        return Check("sync_last_error", key, Status.WARN, t("staff.see_detail"), health.last_error)

    def not_printed_check() -> Check:
        key = "staff.check_not_printed"
        tickets = store.tickets_not_printed()
        numbers = ", ".join(tk.number for tk in tickets[-10:])  # ticket numbers are not PII
        return Check(
            "not_printed", key, Status.WARN if tickets else Status.OK, str(len(tickets)), numbers
        )

    def conflicts_check() -> Check:
        key = "staff.check_conflicts"
        found = store.conflicts()
        detail = "; ".join(f"{c.event_type}: {c.detail}" for c in found[:5])
        return Check("conflicts", key, Status.WARN if found else Status.OK, str(len(found)), detail)

    def log_check() -> Check:
        key = "staff.check_logs"
        folder = services.data_dir / "logs"
        size = sum(p.stat().st_size for p in folder.glob("kiosk.log*")) if folder.is_dir() else 0
        return Check(
            "logs",
            key,
            Status.WARN if size >= LOG_WARN_BYTES else Status.OK,
            _fmt_bytes(size),
            str(folder),
        )

    for check_id, key, fn in (
        ("camera", "staff.check_camera", camera_check),
        ("printer", "staff.check_printer", printer_check),
        ("database", "staff.check_database", database_check),
        ("disk", "staff.check_disk", disk_check),
        ("clock", "staff.check_clock", clock_check),
        ("sync_backlog", "staff.check_backlog", backlog_check),
        ("sync_last_success", "staff.check_last_success", last_success_check),
        ("sync_last_error", "staff.check_last_error", last_error_check),
        ("not_printed", "staff.check_not_printed", not_printed_check),
        ("conflicts", "staff.check_conflicts", conflicts_check),
        ("logs", "staff.check_logs", log_check),
    ):
        checks.append(_guard(check_id, key, fn))
    return checks


def sync_health(services: ServicesLike) -> SyncHealth:
    """The sync worker's health, or the store's backlog when no central is configured."""
    if services.sync is not None:
        try:
            return services.sync.health()  # type: ignore[no-any-return]
        except Exception as exc:
            return SyncHealth(False, -1, None, f"health: {type(exc).__name__}")
    try:
        backlog = services.store.backlog()
    except Exception:
        backlog = -1
    return SyncHealth(online=False, backlog=backlog)


# ---------------------------------------------------------------- self-test


def print_test_page(services: ServicesLike) -> PrintResult:
    """The technician's test receipt, through kiosk.printing.test_print when it exists."""
    from kiosk import printing

    test_print = getattr(printing, "test_print", None)
    if callable(test_print):
        return test_print(services.printer)  # type: ignore[no-any-return]
    from kiosk.printing.samples import technician_receipt

    receipt = technician_receipt(
        services.printer.name, services.clock.now(), services.settings.language
    )
    return services.printer.print_receipt(receipt)


def self_test(services: ServicesLike, *, tr: Translator | None = None) -> list[Check]:
    """End-to-end test without a citizen. Prints one test receipt and contacts the central."""
    t = _tr(services, tr)
    store = services.store

    def printing_check() -> Check:
        key = "staff.selftest_print"
        result = print_test_page(services)
        if result.ok:
            return Check(
                "selftest_print",
                key,
                Status.OK,
                t("staff.printed"),
                result.output_path or result.job_id or "",
            )
        return Check(
            "selftest_print",
            key,
            Status.FAIL,
            t(f"staff.printer_state_{result.status.state.value}"),
            result.error or result.status.detail,
        )

    def store_check() -> Check:
        key = "staff.selftest_store"
        # a dedicated round-trip keeps test bytes out of the citizens' document tables
        roundtrip = getattr(store, "self_test_roundtrip", None)
        if not callable(roundtrip):
            return Check(
                "selftest_store",
                key,
                Status.SKIP,
                t("staff.skipped"),
                t("staff.store_roundtrip_missing"),
            )
        roundtrip()
        return Check("selftest_store", key, Status.OK, t("staff.roundtrip_ok"))

    def trust_check() -> Check:
        key = "staff.selftest_trust"
        from kiosk.turns.trust import TrustList

        path = Path(getattr(services, "trust_path", services.data_dir / "trust-list.json"))
        if not path.exists():
            return Check(
                "selftest_trust",
                key,
                Status.WARN,
                t("staff.trust_missing"),
                t("staff.trust_missing_detail"),
            )
        try:
            trust = TrustList.load(path)
        except (ValueError, OSError) as exc:
            return Check(
                "selftest_trust", key, Status.FAIL, t("staff.trust_invalid"), str(exc)[:300]
            )
        now = services.clock.now()
        valid = sum(1 for k in trust if k.valid_at(now))
        status = Status.OK if valid else Status.FAIL
        return Check(
            "selftest_trust",
            key,
            status,
            t("staff.trust_keys", valid=valid, total=len(trust)),
            str(path),
        )

    def sync_check() -> Check:
        key = "staff.selftest_sync"
        sync = services.sync
        if sync is None:
            return Check(
                "selftest_sync",
                key,
                Status.WARN,
                t("staff.sync_not_configured"),
                t("staff.sync_not_configured_detail"),
            )
        heartbeat = getattr(sync, "send_heartbeat", None)
        if not callable(heartbeat):
            return Check("selftest_sync", key, Status.SKIP, t("staff.skipped"), "")
        if heartbeat():
            drift = getattr(sync, "clock_drift", None)
            detail = t("staff.drift", seconds=f"{drift:+.0f}") if drift is not None else ""
            return Check("selftest_sync", key, Status.OK, t("staff.reachable"), detail)
        return Check(
            "selftest_sync",
            key,
            Status.FAIL,
            t("staff.unreachable"),
            sync_health(services).last_error or "",
        )

    checks = [
        _guard("selftest_print", "staff.selftest_print", printing_check),
        _guard("selftest_store", "staff.selftest_store", store_check),
        _guard("selftest_trust", "staff.selftest_trust", trust_check),
        _guard("selftest_sync", "staff.selftest_sync", sync_check),
    ]
    log.info("self-test: %s", ", ".join(f"{c.id}={c.status.value}" for c in checks))
    return checks


# ---------------------------------------------------------------- outbox bundle

BUNDLE_FORMAT = "kiosk-cau-outbox-bundle"
BUNDLE_VERSION = 1
BUNDLE_SUFFIX = ".kcb"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # ~32 MB, ~0.1 s: cheap once, costly to brute-force
MIN_PASSPHRASE = 8
_KEY_CHECK = b"kiosk-cau bundle key check v1"


class BundleError(Exception):
    """The bundle cannot be read; the message says why, for the technician or the importer."""


class WrongPassphrase(BundleError):  # noqa: N818 - reads better at the import site
    pass


class BundleTampered(BundleError):  # noqa: N818
    pass


@dataclass(frozen=True)
class Bundle:
    manifest: dict[str, Any]
    events: list[dict[str, Any]]
    documents: dict[str, bytes]  # document_id -> plaintext bytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BundleError("malformed bundle: expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise BundleError("malformed bundle: invalid base64") from None


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """One scrypt run, split into independent keys for encryption and for the MAC."""
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], material[32:]


def generate_passphrase(groups: int = 4) -> str:
    """A passphrase a technician can copy by hand: 4 groups of 4 unambiguous characters."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(groups))


def pending_outbox(services: ServicesLike) -> tuple[list[dict[str, Any]], dict[str, bytes], int]:
    """All pending events (wire form) and the bytes of the documents they reference.

    Returns (events, documents, missing): `missing` counts documents already purged or unreadable
    — their metadata still travels in the events, the central sees them as not received.
    """
    store = services.store
    # due_events() with a far-future "now" lists every pending event in per-ticket order,
    # including those waiting on a retry backoff
    far = services.clock.now() + timedelta(days=3650)
    pending = store.due_events(limit=1_000_000, now=far)
    events = [e.to_wire() for e in pending]
    wanted: list[str] = []
    for e in events:
        for doc in e.get("payload", {}).get("documents", []) or []:
            if isinstance(doc, dict) and doc.get("document_id"):
                wanted.append(str(doc["document_id"]))
    # documents of tickets the central already has, but not uploaded yet
    wanted.extend(d.document_id for d in store.pending_documents(limit=1_000_000))
    documents: dict[str, bytes] = {}
    missing = 0
    for document_id in dict.fromkeys(wanted):
        try:
            documents[document_id] = store.read_document(document_id)
        except Exception as exc:  # purged after confirmation, or unreadable: keep going
            log.warning("export: document %s not included (%s)", document_id, type(exc).__name__)
            missing += 1
    return events, documents, missing


def export_outbox(services: ServicesLike, dest_dir: Path, passphrase: str) -> Path:
    """Write the pending outbox as one encrypted, authenticated bundle file in `dest_dir`.

    The events stay pending on the kiosk: the central de-duplicates on event_id, so a later
    online sync of the same events is harmless.
    """
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    dest_dir = Path(dest_dir)
    if not dest_dir.is_dir():
        raise FileNotFoundError(f"the folder {dest_dir} does not exist")
    store = services.store
    now = services.clock.now()
    events, documents, missing = pending_outbox(services)
    payload = _canonical(
        {
            "events": events,
            "documents": {k: _b64(v) for k, v in sorted(documents.items())},
        }
    )
    kiosk_id = str(services.settings.kiosk_id or store.kiosk_id)
    manifest: dict[str, Any] = {
        "kiosk_id": kiosk_id,
        "agency_id": services.settings.agency_id or store.agency_id,
        "count": len(events),
        "documents": len(documents),
        "documents_missing": missing,
        "created_at": now.isoformat(),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    salt = os.urandom(16)
    nonce = os.urandom(12)
    enc_key, mac_key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(enc_key).encrypt(nonce, payload, _canonical(manifest))
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "manifest": manifest,
        "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
        # lets the importer tell "wrong passphrase" from "altered file"
        "key_check": hmac.new(mac_key, _KEY_CHECK, hashlib.sha256).hexdigest(),
        "ciphertext": _b64(ciphertext),
    }
    body["mac"] = {
        "alg": "HMAC-SHA256",
        "value": hmac.new(mac_key, _canonical(body), hashlib.sha256).hexdigest(),
    }
    stamp = now.strftime("%Y%m%dT%H%M%S")
    safe_kiosk = "".join(c if c.isalnum() or c in "-_" else "_" for c in kiosk_id)
    target = dest_dir / f"outbox-{safe_kiosk}-{stamp}{BUNDLE_SUFFIX}"
    _write_durably(target, json.dumps(body, indent=1).encode())
    store.audit(
        "staff",
        "outbox_exported",
        {
            "events": len(events),
            "documents": len(documents),
            "missing": missing,
            "file": target.name,
        },
    )
    log.info(
        "outbox exported: %d event(s), %d document(s) to %s",
        len(events),
        len(documents),
        target.name,
    )
    return target


def _write_durably(target: Path, data: bytes) -> None:
    """Removable media get pulled out: temp file, fsync, rename, fsync the folder."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_bundle(path: Path, passphrase: str) -> Bundle:
    """Verify and decrypt a bundle. Raises WrongPassphrase, BundleTampered or BundleError."""
    try:
        body = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise BundleError(f"cannot read the bundle: {exc.strerror or exc}") from None
    except ValueError:
        raise BundleError("not an outbox bundle (not JSON)") from None
    if not isinstance(body, dict) or body.get("format") != BUNDLE_FORMAT:
        raise BundleError("not a Kiosco CAU outbox bundle")
    if body.get("version") != BUNDLE_VERSION:
        raise BundleError(f"unsupported bundle version {body.get('version')!r}")
    try:
        manifest = body["manifest"]
        kdf, cipher, mac = body["kdf"], body["cipher"], body["mac"]
        salt, nonce = _unb64(kdf["salt"]), _unb64(cipher["nonce"])
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        key_check, mac_value = str(body["key_check"]), str(mac["value"])
        ciphertext = _unb64(body["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"malformed bundle: {exc!r}") from None
    # bound the KDF cost an altered header could demand of the importer
    if kdf.get("name") != "scrypt" or not (2**10 <= n <= 2**20 and r <= 16 and p <= 4):
        raise BundleTampered("the bundle's key-derivation parameters are not acceptable")
    enc_key, mac_key = _derive(passphrase, salt, n, r, p)
    expected_check = hmac.new(mac_key, _KEY_CHECK, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected_check, key_check):
        raise WrongPassphrase("wrong passphrase for this bundle")
    unsigned = {k: v for k, v in body.items() if k != "mac"}
    expected_mac = hmac.new(mac_key, _canonical(unsigned), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected_mac, mac_value):
        raise BundleTampered("the bundle was altered after it was written (MAC mismatch)")
    try:
        payload = AESGCM(enc_key).decrypt(nonce, ciphertext, _canonical(manifest))
    except InvalidTag:
        raise BundleTampered("the bundle's encrypted content does not authenticate") from None
    if hashlib.sha256(payload).hexdigest() != manifest.get("sha256"):
        raise BundleTampered("the bundle's content does not match its manifest")
    data = json.loads(payload)
    events = data["events"]
    documents = {k: _unb64(v) for k, v in data["documents"].items()}
    if len(events) != manifest.get("count"):
        raise BundleTampered("the bundle's event count does not match its manifest")
    return Bundle(manifest=dict(manifest), events=list(events), documents=documents)


def removable_media_dirs(
    roots: Sequence[Path] = (Path("/media"), Path("/run/media")),
) -> list[Path]:
    """Mounted removable drives (udisks mounts them at /media/<user>/<label> or
    /run/media/<user>/<label>), writable ones only."""
    found: list[Path] = []
    for root in roots:
        try:
            users = [p for p in root.iterdir() if p.is_dir()]
        except OSError:
            continue
        for user in users:
            try:
                found.extend(
                    p for p in sorted(user.iterdir()) if p.is_dir() and os.access(p, os.W_OK)
                )
            except OSError:
                continue
    return found
