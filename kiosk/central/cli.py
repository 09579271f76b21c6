"""``kiosk-central``: serve | enrol | book | rotate-key | bench."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

DEFAULT_DB = "sqlite:///kiosk-central.db"
DEFAULT_KEYS = "central-keys"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        default=os.environ.get("KIOSK_CENTRAL_DB", DEFAULT_DB),
        help="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://...",
    )


def _keys(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keys",
        type=Path,
        default=Path(os.environ.get("KIOSK_CENTRAL_KEYS", DEFAULT_KEYS)),
        help="directory of the turn-signing keys (created on first use)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-central", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    _common(serve)
    _keys(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8470, help="0 = any free port")
    serve.add_argument(
        "--admin-token",
        default=os.environ.get("KIOSK_CENTRAL_ADMIN_TOKEN"),
        help="admin bearer token (default: generated into KEYS/admin-token)",
    )
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--public-url", default="", help="base URL used in links and PDFs")
    serve.add_argument("--starvation-minutes", type=int, default=20)
    serve.add_argument("--log-level", default="info")

    enrol = sub.add_parser("enrol", help="enrol a kiosk and print its credential")
    _common(enrol)
    enrol.add_argument("--kiosk-id", required=True)
    enrol.add_argument("--agency-id", required=True)

    book = sub.add_parser("book", help="book an online turn and write its confirmation PDF")
    _common(book)
    _keys(book)
    book.add_argument("--agency-id", required=True)
    book.add_argument("--tramite-id", required=True)
    book.add_argument("--slot-start", required=True, help="ISO time with offset")
    book.add_argument("--id-number", required=True)
    book.add_argument("--email", required=True)
    book.add_argument("--mobile", required=True)
    book.add_argument("--province", required=True)
    book.add_argument("--validity-minutes", type=int, default=120)
    book.add_argument("--out", type=Path, default=Path("confirmacion-turno.pdf"))

    rotate = sub.add_parser("rotate-key", help="make a new signing key current")
    _keys(rotate)
    rotate.add_argument("--retire-after-days", type=int, default=60)

    imp = sub.add_parser(
        "import-bundle", help="import a kiosk's offline outbox bundle (from removable media)"
    )
    _common(imp)
    imp.add_argument("bundle", type=Path, help="the .kcb file the kiosk exported")
    imp.add_argument(
        "--passphrase-file",
        type=Path,
        help="file holding the passphrase shown at export (default: $KIOSK_BUNDLE_PASSPHRASE)",
    )

    bench = sub.add_parser("bench", help="load test: 50 kiosks syncing, 20 counters calling")
    bench.add_argument("--db", default=None, help="database URL (default: a temp SQLite)")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--kiosks", type=int, default=50)
    bench.add_argument("--counters", type=int, default=20)
    bench.add_argument("--seconds", type=float, default=10.0)
    bench.add_argument("--batch", type=int, default=100)
    bench.add_argument("--workers", type=int, default=0, help="uvicorn workers (0 = auto)")
    return parser


def configure_logging(level: str = "info") -> None:
    """One stderr handler on the root logger, behind the PII filter of kiosk.logs, so uvicorn's
    and SQLAlchemy's records (tracebacks included) are scrubbed like ours."""
    from kiosk.logs import PiiFilter

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.addFilter(PiiFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise


def _admin_token(args: argparse.Namespace) -> str:
    if args.admin_token:
        return str(args.admin_token)
    path = args.keys / "admin-token"
    if not path.exists():
        args.keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
        print(f"admin token written to {path}", flush=True)
    return str(path.read_text().strip())


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kiosk.central.config import QueuePolicy, Settings
    from kiosk.central.db import make_engine, migrate

    settings = Settings(
        db_url=args.db,
        keys_dir=args.keys,
        admin_token=_admin_token(args),
        policy=QueuePolicy(starvation_minutes=args.starvation_minutes),
        public_base_url=args.public_url,
    )
    engine = make_engine(settings.db_url, pool_size=1)
    migrate(engine)  # once, before any worker starts
    engine.dispose()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # IPPROTO_TCP, and without it every small response waits ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"listening on http://{host}:{port}", flush=True)

    log_level = args.log_level.lower()
    if args.workers > 1:
        os.environ.update(settings.to_env())
        os.environ["KIOSK_CENTRAL_LOG_LEVEL"] = log_level
        config = uvicorn.Config(
            "kiosk.central.app:app_from_env",
            log_config=None,  # workers configure logging in app_from_env
            factory=True,
            workers=args.workers,
            log_level=log_level,
            access_log=False,
        )
        from uvicorn.supervisors import Multiprocess

        server = uvicorn.Server(config)
        import inspect

        # uvicorn < 0.30 wants the target callable, newer versions build the server themselves
        if "target" in inspect.signature(Multiprocess).parameters:
            Multiprocess(config, target=server.run, sockets=[sock]).run()  # type: ignore[call-arg]
        else:
            Multiprocess(config, sockets=[sock]).run()
    else:
        from kiosk.central.app import create_app

        config = uvicorn.Config(
            create_app(settings), log_level=log_level, access_log=False, log_config=None
        )
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def enrol(args: argparse.Namespace) -> int:
    from kiosk.central.auth import hash_credential, new_credential
    from kiosk.central.db import make_engine, migrate, session_factory, transaction
    from kiosk.central.models import Kiosk
    from kiosk.central.timeutil import utcnow

    engine = make_engine(args.db, pool_size=1)
    migrate(engine)
    credential = new_credential()
    with transaction(session_factory(engine)) as session:
        kiosk = session.get(Kiosk, args.kiosk_id)
        if kiosk is None:
            kiosk = Kiosk(kiosk_id=args.kiosk_id, agency_id=args.agency_id, created_at=utcnow())
            session.add(kiosk)
        kiosk.agency_id = args.agency_id
        kiosk.credential_hash = hash_credential(credential)
        kiosk.revoked_at = None
    engine.dispose()
    print(credential, flush=True)
    return 0


def book(args: argparse.Namespace) -> int:
    from kiosk.central.booking import BookingRequest, book_turn, confirmation_pdf
    from kiosk.central.db import make_engine, migrate, session_factory, transaction
    from kiosk.central.timeutil import parse_iso
    from kiosk.turns.trust import KeyStore

    engine = make_engine(args.db, pool_size=1)
    migrate(engine)
    req = BookingRequest(
        agency_id=args.agency_id,
        tramite_id=args.tramite_id,
        slot_start=parse_iso(args.slot_start),
        id_number=args.id_number,
        email=args.email,
        mobile=args.mobile,
        province=args.province,
    )
    with transaction(session_factory(engine)) as session:
        turn = book_turn(
            session,
            req,
            KeyStore(args.keys).signing_key(),
            timedelta(minutes=args.validity_minutes),
        )
        pdf = confirmation_pdf(turn)
    engine.dispose()
    args.out.write_bytes(pdf)
    print(f"turn_id {turn.turn_id}")
    print(f"token {turn.token}")
    print(f"confirmation {args.out}", flush=True)
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    from kiosk.turns.trust import KeyStore

    kid = KeyStore(args.keys).rotate(timedelta(days=args.retire_after_days))
    print(f"current key {kid}", flush=True)
    return 0


def import_bundle(args: argparse.Namespace) -> int:
    """Apply an exported outbox exactly as /api/v1/sync and the document upload would: the same
    idempotency, so importing twice, or after the kiosk synced part of it, changes nothing."""
    import hashlib

    from kiosk.central.db import make_engine, migrate, session_factory, transaction
    from kiosk.central.documents import DocumentConflictError, store_document
    from kiosk.central.models import Document, Kiosk
    from kiosk.central.syncing import apply_batch
    from kiosk.diagnostics import BundleError, read_bundle

    if args.passphrase_file is not None:
        passphrase = args.passphrase_file.read_text(encoding="utf-8").strip()
    else:
        passphrase = os.environ.get("KIOSK_BUNDLE_PASSPHRASE", "")
    if not passphrase:
        print(
            "kiosk-central: give the bundle's passphrase (--passphrase-file or "
            "KIOSK_BUNDLE_PASSPHRASE)",
            file=sys.stderr,
        )
        return 2
    try:
        bundle = read_bundle(args.bundle, passphrase)
    except BundleError as exc:  # wrong passphrase, altered file, not a bundle
        print(f"kiosk-central: bundle refused: {exc}", file=sys.stderr)
        return 2
    kiosk_id = str(bundle.manifest.get("kiosk_id", ""))
    agency_id = str(bundle.manifest.get("agency_id", ""))
    engine = make_engine(args.db, pool_size=1)
    migrate(engine)
    counts: dict[str, int] = {}
    stored = already = refused = 0
    try:
        with transaction(session_factory(engine)) as session:
            kiosk = session.get(Kiosk, kiosk_id)
            if kiosk is None or kiosk.revoked_at is not None or kiosk.agency_id != agency_id:
                print(
                    f"kiosk-central: bundle refused: kiosk {kiosk_id!r} is not enrolled at "
                    f"{agency_id!r} (or was revoked)",
                    file=sys.stderr,
                )
                return 2
            for result in apply_batch(session, kiosk_id, agency_id, bundle.events):
                counts[result.status] = counts.get(result.status, 0) + 1
            session.flush()
            for document_id, data in bundle.documents.items():
                declared = session.get(Document, document_id)
                if declared is None:
                    refused += 1  # no ticket declares it: nothing to attach it to
                    continue
                try:
                    status = store_document(
                        session,
                        kiosk_id=kiosk_id,
                        document_id=document_id,
                        ticket_id=declared.ticket_id,
                        requirement_id=declared.requirement_id,
                        content_type=declared.content_type,
                        data=data,
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                except DocumentConflictError:
                    refused += 1
                    continue
                stored, already = stored + (status == 201), already + (status == 200)
    finally:
        engine.dispose()
    events = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    print(
        f"imported bundle of {kiosk_id}: events: {events}; documents: {stored} stored, "
        f"{already} already stored, {refused} refused",
        flush=True,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "log_level", "info"))
    if args.command == "serve":
        return serve(args)
    if args.command == "enrol":
        return enrol(args)
    if args.command == "book":
        return book(args)
    if args.command == "rotate-key":
        return rotate_key(args)
    if args.command == "import-bundle":
        return import_bundle(args)
    if args.command == "bench":
        from kiosk.central.bench import run_bench

        return run_bench(args)
    raise AssertionError(args.command)


def console_main() -> None:
    sys.exit(main())
