"""The central queue service: FastAPI app over SQLAlchemy (see DESIGN §4-§6).

``create_app(settings)`` is the composition root; ``app_from_env`` is what uvicorn worker
processes call. Handlers doing database work are plain ``def`` (run in the thread pool); the
ones that must cap the request body read it asynchronously first.
"""

# no "from __future__ import annotations": FastAPI must see the closures' Depends types

import hashlib
import html
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from kiosk.central import queue as q
from kiosk.central.auth import bearer, credential_matches, hash_credential, new_credential
from kiosk.central.booking import BookingError, BookingRequest, book_turn, confirmation_pdf
from kiosk.central.config import Settings
from kiosk.central.db import make_engine, read_factory, session_factory, transaction
from kiosk.central.documents import DocumentConflictError, store_document
from kiosk.central.models import Conflict, Counter, Document, Kiosk, Ticket, Turn
from kiosk.central.syncing import (
    CONTENT_TYPES,
    MAX_DOCUMENT_BYTES,
    BatchError,
    apply_batch,
    parse_envelope,
)
from kiosk.central.timeutil import iso, parse_iso, utcnow
from kiosk.turns.trust import KeyStore

log = logging.getLogger("kiosk.central")
T = TypeVar("T")


class BodyTooLargeError(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing (413) beyond ``limit`` without buffering more than that."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _retrying(factory: sessionmaker[Session], work: Callable[[Session], T], tries: int = 4) -> T:
    """One transaction; retried on deadlock/serialisation failure (PostgreSQL) or lock timeout."""
    for attempt in range(tries):
        try:
            with transaction(factory) as session:
                return work(session)
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            transient = code in ("40P01", "40001") or "locked" in str(exc.orig)
            if not transient or attempt == tries - 1:
                raise
            log.warning("transaction retried after %s", code or "lock timeout")
            time.sleep(0.01 * (2**attempt))
    raise AssertionError("unreachable")


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.db_url)
    factory = session_factory(engine)
    reader = read_factory(engine)
    keys = KeyStore(settings.keys_dir)
    keys.ensure()
    policy = settings.policy

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        engine.dispose()

    app = FastAPI(title="Kiosco CAU — central queue", version="1", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine

    # Only for reads: FastAPI may run a yield dependency's exit (the commit) after the response
    # is sent, so every write opens its own transaction and commits before answering.
    def read_db() -> Iterator[Session]:
        with reader() as session, session.begin():
            yield session

    ReadDB = Annotated[Session, Depends(read_db)]  # noqa: N806 - a type alias

    # ------------------------------------------------------------ auth

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        token = bearer(authorization)
        if token is None:
            raise HTTPException(401, "admin credential required")
        if not credential_matches(token, hash_credential(settings.admin_token)):
            log.warning("admin auth refused")
            raise HTTPException(403, "not an admin credential")

    def kiosk_auth(
        x_kiosk_id: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Kiosk:
        token = bearer(authorization)
        if not x_kiosk_id or token is None:
            raise HTTPException(401, "kiosk credential required (X-Kiosk-Id + Bearer)")
        with reader() as session:
            kiosk = session.get(Kiosk, x_kiosk_id)
        if kiosk is None or not credential_matches(token, kiosk.credential_hash):
            log.warning("kiosk auth refused: unknown kiosk or bad credential (%s)", x_kiosk_id[:64])
            raise HTTPException(401, "unknown kiosk or bad credential")
        if kiosk.revoked_at is not None:
            log.warning("kiosk auth refused: revoked kiosk %s", x_kiosk_id[:64])
            raise HTTPException(403, "kiosk revoked")
        return kiosk

    def staff_auth(
        authorization: Annotated[str | None, Header()] = None,
        x_counter_id: Annotated[str | None, Header()] = None,
        x_agency_id: Annotated[str | None, Header()] = None,
    ) -> str | None:
        """Admin token, or a counter credential (X-Agency-Id + X-Counter-Id + Bearer).
        Returns the counter's agency (None for admin)."""
        token = bearer(authorization)
        if token is None:
            raise HTTPException(401, "staff credential required")
        if credential_matches(token, hash_credential(settings.admin_token)):
            return None
        if x_counter_id and x_agency_id:
            with reader() as session:
                counter = session.get(Counter, (x_agency_id, x_counter_id))
            if counter is not None and credential_matches(token, counter.credential_hash):
                return counter.agency_id
        log.warning("staff auth refused")
        raise HTTPException(403, "not a staff credential")

    Admin = Depends(admin)  # noqa: N806 - a type alias
    KioskDep = Annotated[Kiosk, Depends(kiosk_auth)]  # noqa: N806 - a type alias
    StaffAgency = Annotated[str | None, Depends(staff_auth)]  # noqa: N806 - a type alias

    def check_agency(staff_agency: str | None, agency_id: str) -> None:
        if staff_agency is not None and staff_agency != agency_id:
            raise HTTPException(403, "counter of another agency")

    # ------------------------------------------------------------ health, kiosks

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/kiosks/enrol", dependencies=[Admin])
    def enrol(body: dict[str, Any]) -> dict[str, str]:
        with transaction(factory) as session:
            kiosk_id, agency_id = body.get("kiosk_id"), body.get("agency_id")
            if not (isinstance(kiosk_id, str) and 0 < len(kiosk_id) <= 64):
                raise HTTPException(422, "kiosk_id: expected 1..64 chars")
            if not (isinstance(agency_id, str) and 0 < len(agency_id) <= 64):
                raise HTTPException(422, "agency_id: expected 1..64 chars")
            credential = new_credential()
            existing = session.get(Kiosk, kiosk_id)
            if existing is not None:  # re-enrolment replaces the credential and lifts a revocation
                existing.agency_id = agency_id
                existing.credential_hash = hash_credential(credential)
                existing.revoked_at = None
            else:
                session.add(
                    Kiosk(
                        kiosk_id=kiosk_id,
                        agency_id=agency_id,
                        credential_hash=hash_credential(credential),
                        created_at=utcnow(),
                    )
                )
            log.info("kiosk %s enrolled for agency %s", kiosk_id, agency_id)
            return {"kiosk_id": kiosk_id, "credential": credential}

    @app.post("/api/v1/kiosks/{kiosk_id}/revoke", dependencies=[Admin])
    def revoke(kiosk_id: str) -> dict[str, Any]:
        with transaction(factory) as session:
            kiosk = session.get(Kiosk, kiosk_id)
            if kiosk is None:
                raise HTTPException(404, "unknown kiosk")
            kiosk.revoked_at = kiosk.revoked_at or utcnow()
            log.warning("kiosk %s revoked", kiosk_id)
            return {"kiosk_id": kiosk_id, "revoked_at": iso(kiosk.revoked_at)}

    @app.get("/api/v1/kiosks", dependencies=[Admin])
    def kiosks(session: ReadDB) -> dict[str, Any]:
        rows = session.scalars(select(Kiosk).order_by(Kiosk.kiosk_id)).all()
        return {
            "kiosks": [
                {
                    "kiosk_id": k.kiosk_id,
                    "agency_id": k.agency_id,
                    "revoked": k.revoked_at is not None,
                    "last_heartbeat_at": iso(k.last_heartbeat_at),
                    "health": k.health,
                }
                for k in rows
            ]
        }

    @app.post("/api/v1/heartbeat")
    def heartbeat(body: dict[str, Any], kiosk: KioskDep) -> dict[str, str]:
        with transaction(factory) as session:
            allowed = (
                "version",
                "clock",
                "backlog",
                "printer",
                "camera",
                "tickets_not_printed",
                "last_sync_error",
            )
            health = {k: body.get(k) for k in allowed if k in body}
            if len(json.dumps(health, default=str)) > 4096:
                raise HTTPException(413, "heartbeat too large")
            now = utcnow()
            session.execute(
                update(Kiosk)
                .where(Kiosk.kiosk_id == kiosk.kiosk_id)
                .values(last_heartbeat_at=now, health=health)
            )
            return {"server_time": now.isoformat()}

    @app.get("/api/v1/trust-list")
    def trust_list(_kiosk: KioskDep) -> dict[str, Any]:
        return keys.trust_list().to_json()

    # ------------------------------------------------------------ sync

    @app.post("/api/v1/sync")
    async def sync(request: Request, kiosk: KioskDep) -> Any:
        try:
            raw = await read_limited(request, settings.max_body_bytes)
        except BodyTooLargeError:
            log.warning(
                "kiosk %s: sync body over %d bytes refused", kiosk.kiosk_id, settings.max_body_bytes
            )
            return JSONResponse({"detail": "body too large"}, status_code=413)
        try:
            events = parse_envelope(json.loads(raw), settings.max_events)
        except OverflowError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=413)
        except (ValueError, BatchError) as exc:  # JSONDecodeError is a ValueError
            log.warning("kiosk %s: malformed sync batch refused", kiosk.kiosk_id)
            return JSONResponse({"detail": f"malformed batch: {exc}"[:300]}, status_code=422)
        results = await run_in_threadpool(
            _retrying,
            factory,
            lambda s: apply_batch(s, kiosk.kiosk_id, kiosk.agency_id, events),
        )
        return {"results": [r.to_json() for r in results]}

    # ------------------------------------------------------------ documents

    @app.put("/api/v1/documents/{document_id}")
    async def put_document(document_id: str, request: Request, kiosk: KioskDep) -> Any:
        h = request.headers
        content_type = h.get("content-type", "").split(";")[0].strip()
        expected = h.get("x-content-sha256", "").lower()
        ticket_id, requirement_id = h.get("x-ticket-id", ""), h.get("x-requirement-id", "")
        try:
            data = await read_limited(request, MAX_DOCUMENT_BYTES)
        except BodyTooLargeError:
            log.warning("kiosk %s: document over 1 MB refused", kiosk.kiosk_id)
            return JSONResponse({"detail": "document larger than 1 MB"}, status_code=413)
        if content_type not in CONTENT_TYPES:
            return JSONResponse(
                {"detail": "Content-Type must be image/jpeg or application/pdf"}, status_code=422
            )
        if not (
            0 < len(document_id) <= 64
            and 0 < len(ticket_id) <= 64
            and 0 < len(requirement_id) <= 64
            and len(expected) == 64
            and data
        ):
            return JSONResponse(
                {"detail": "missing X-Ticket-Id, X-Requirement-Id, X-Content-SHA256 or body"},
                status_code=422,
            )
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            log.warning("kiosk %s: document checksum mismatch, not stored", kiosk.kiosk_id)
            return JSONResponse({"detail": "checksum mismatch"}, status_code=422)

        def store(session: Session) -> int:
            try:
                return store_document(
                    session,
                    kiosk_id=kiosk.kiosk_id,
                    document_id=document_id,
                    ticket_id=ticket_id,
                    requirement_id=requirement_id,
                    content_type=content_type,
                    data=data,
                    sha256=actual,
                )
            except DocumentConflictError as exc:
                raise HTTPException(409, str(exc)) from None

        try:
            status = await run_in_threadpool(_retrying, factory, store)
        except IntegrityError:  # the same upload raced itself: the other one stored it
            status = 200
        return JSONResponse({"document_id": document_id, "sha256": actual}, status_code=status)

    @app.get("/api/v1/tickets/{ticket_id}/documents")
    def ticket_documents(ticket_id: str, staff: StaffAgency, session: ReadDB) -> dict[str, Any]:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            check_agency(staff, ticket.agency_id)
        docs = session.scalars(
            select(Document)
            .where(Document.ticket_id == ticket_id)
            .order_by(Document.requirement_id)
        ).all()
        if ticket is None and not docs:
            raise HTTPException(404, "unknown ticket")
        return {
            "ticket_id": ticket_id,
            "documents": [
                {
                    "document_id": d.document_id,
                    "requirement_id": d.requirement_id,
                    "content_type": d.content_type,
                    "sha256": d.sha256,
                    "size": d.size,
                    "uploaded": d.uploaded_at is not None,
                }
                for d in docs
            ],
        }

    @app.get("/api/v1/documents/{document_id}")
    def get_document(document_id: str, staff: StaffAgency, session: ReadDB) -> Response:
        doc = session.get(Document, document_id)
        if doc is None or doc.data is None:
            raise HTTPException(404, "document not stored")
        ticket = session.get(Ticket, doc.ticket_id)
        if ticket is not None:
            check_agency(staff, ticket.agency_id)
        elif staff is not None:
            raise HTTPException(403, "ticket not known yet")
        return Response(
            doc.data, media_type=doc.content_type, headers={"Cache-Control": "no-store"}
        )

    # ------------------------------------------------------------ turns (online turnero)

    @app.post("/api/v1/turns", dependencies=[Admin])
    def create_turn(body: dict[str, Any], request: Request) -> dict[str, str]:
        with transaction(factory) as session:
            try:
                req = BookingRequest(
                    agency_id=str(body["agency_id"]),
                    tramite_id=str(body["tramite_id"]),
                    slot_start=parse_iso(body["slot_start"]),
                    id_number=str(body["id_number"]),
                    email=str(body["email"]),
                    mobile=str(body["mobile"]),
                    province=str(body["province"]),
                )
                turn = book_turn(
                    session,
                    req,
                    keys.signing_key(),
                    timedelta(minutes=settings.turn_validity_minutes),
                )
            except (KeyError, ValueError, BookingError) as exc:
                raise HTTPException(422, f"invalid booking: {exc}") from None
            base = settings.public_base_url or str(request.base_url).rstrip("/")
            return {
                "turn_id": turn.turn_id,
                "token": turn.token,
                "confirmation_url": f"{base}/api/v1/turns/{turn.turn_id}/confirmation.pdf",
            }

    @app.get("/api/v1/turns/{turn_id}/confirmation.pdf")
    def turn_pdf(turn_id: str, session: ReadDB) -> Response:
        # the unguessable turn id is the capability, as with the turnero's e-mailed link
        turn = session.get(Turn, turn_id)
        if turn is None:
            raise HTTPException(404, "unknown turn")
        return Response(
            confirmation_pdf(turn),
            media_type="application/pdf",
            headers={"Cache-Control": "no-store"},
        )

    # ------------------------------------------------------------ queue

    @app.post("/api/v1/agencies/{agency_id}/counters/{counter_id}/enrol", dependencies=[Admin])
    def enrol_counter(agency_id: str, counter_id: str) -> dict[str, str]:
        with transaction(factory) as session:
            credential = new_credential()
            session.merge(
                Counter(
                    agency_id=agency_id,
                    counter_id=counter_id,
                    credential_hash=hash_credential(credential),
                )
            )
            return {"agency_id": agency_id, "counter_id": counter_id, "credential": credential}

    @app.post("/api/v1/agencies/{agency_id}/counters/{counter_id}/next")
    async def call_next(
        agency_id: str, counter_id: str, request: Request, staff: StaffAgency
    ) -> Any:
        check_agency(staff, agency_id)
        tramites: list[str] | None = None
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
                tramites = body.get("tramites") if isinstance(body, dict) else None
                if tramites is not None and not (
                    isinstance(tramites, list) and all(isinstance(x, str) for x in tramites)
                ):
                    raise ValueError
            except ValueError:
                return JSONResponse(
                    {"detail": 'expected {"tramites": [str, ...]}'}, status_code=422
                )

        def work(session: Session) -> dict[str, Any] | None:
            t = q.call_next(session, agency_id, counter_id, policy, tramites)
            return None if t is None else q.ticket_json(t)

        ticket = await run_in_threadpool(_retrying, factory, work)
        if ticket is None:
            return Response(status_code=204)
        return ticket

    def _transition(
        ticket_id: str,
        staff: str | None,
        session: Session,
        allowed: tuple[str, ...],
        new_state: str,
    ) -> dict[str, Any]:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None:
            raise HTTPException(404, "unknown ticket")
        check_agency(staff, ticket.agency_id)
        if ticket.state not in allowed:
            raise HTTPException(409, f"ticket is {ticket.state}")
        if new_state == "called":
            ticket.recalls += 1
            ticket.called_at = utcnow()
        else:
            ticket.finished_at = utcnow()
        ticket.state = new_state
        return q.ticket_json(ticket)

    @app.post("/api/v1/tickets/{ticket_id}/complete")
    def complete(ticket_id: str, staff: StaffAgency) -> dict[str, Any]:
        with transaction(factory) as session:
            return _transition(ticket_id, staff, session, ("called",), "completed")

    @app.post("/api/v1/tickets/{ticket_id}/no-show")
    def no_show(ticket_id: str, staff: StaffAgency) -> dict[str, Any]:
        with transaction(factory) as session:
            return _transition(ticket_id, staff, session, ("called",), "no_show")

    @app.post("/api/v1/tickets/{ticket_id}/recall")
    def recall(ticket_id: str, staff: StaffAgency) -> dict[str, Any]:
        with transaction(factory) as session:
            return _transition(ticket_id, staff, session, ("called", "no_show"), "called")

    @app.get("/api/v1/conflicts", dependencies=[Admin])
    def conflicts(session: ReadDB) -> dict[str, Any]:
        rows = session.scalars(select(Conflict).order_by(Conflict.id)).all()
        return {
            "conflicts": [
                {
                    "id": c.id,
                    "turn_id": c.turn_id,
                    "ticket_id": c.ticket_id,
                    "kiosk_id": c.kiosk_id,
                    "first_ticket_id": c.first_ticket_id,
                    "detected_at": iso(c.detected_at),
                    "resolved_at": iso(c.resolved_at),
                    "resolution": c.resolution,
                }
                for c in rows
            ]
        }

    @app.post("/api/v1/conflicts/{conflict_id}/resolve", dependencies=[Admin])
    def resolve(conflict_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Staff decide: "admit" puts the held ticket in the queue, "reject" closes it."""
        with transaction(factory) as session:
            action = body.get("action")
            if action not in ("admit", "reject"):
                raise HTTPException(422, 'action: expected "admit" or "reject"')
            c = session.get(Conflict, conflict_id)
            if c is None:
                raise HTTPException(404, "unknown conflict")
            if c.resolved_at is None:
                c.resolved_at, c.resolution = utcnow(), action
                session.execute(
                    update(Ticket)
                    .where(Ticket.ticket_id == c.ticket_id, Ticket.state == "held")
                    .values(state="waiting" if action == "admit" else "rejected")
                )
            return {"id": c.id, "resolution": c.resolution}

    # ------------------------------------------------------------ public status

    @app.get("/api/v1/tickets/{ticket_id}/status")
    def status(ticket_id: str, session: ReadDB) -> dict[str, Any]:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise HTTPException(404, "unknown ticket")
        return q.ticket_status(session, ticket, policy).to_json()

    @app.get("/t/{ticket_id}", response_class=HTMLResponse)
    def status_page(ticket_id: str, session: ReadDB) -> HTMLResponse:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return HTMLResponse(
                _page("Ticket no encontrado", "<p>Revise el código de su comprobante.</p>"), 404
            )
        s = q.ticket_status(session, ticket, policy)
        states = {
            "waiting": "En espera",
            "called": "Le están llamando",
            "completed": "Atendido",
            "no_show": "No se presentó",
            "held": "En revisión: acérquese a información",
            "rejected": "Anulado: acérquese a información",
        }
        body = f"<p class='n'>{html.escape(s.number)}</p><p>{states.get(s.state, s.state)}</p>"
        if s.state == "called" and s.counter_id:
            body += f"<p>Ventanilla {html.escape(s.counter_id)}</p>"
        if s.position is not None and s.wait_minutes is not None:
            body += (
                f"<p>Personas antes que usted: {s.position - 1}</p>"
                f"<p>Espera estimada: {s.wait_minutes[0]}–{s.wait_minutes[1]} min</p>"
            )
        return HTMLResponse(_page("Su turno", body))

    return app


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='es'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta http-equiv='refresh' content='30'>"
        f"<title>{html.escape(title)} — IESS</title><style>body{{font-family:sans-serif;"
        "max-width:30em;margin:2em auto;padding:0 1em;font-size:1.2em}"
        ".n{font-size:3em;font-weight:bold;margin:.2em 0}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes (``--workers``): settings from the environment."""
    import os

    from kiosk.central.cli import configure_logging

    configure_logging(os.environ.get("KIOSK_CENTRAL_LOG_LEVEL", "info"))
    return create_app(Settings.from_env())
