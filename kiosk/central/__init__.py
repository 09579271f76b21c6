"""The central queue service (``kiosk-central``; a separate program — no Qt here).

Modules: ``cli`` (serve | enrol | book | rotate-key | bench), ``app`` (FastAPI routes, the HTTP
contract below), ``syncing`` (idempotent batch apply), ``queue`` (ordering policy, call-next),
``booking`` (online turns + confirmation PDF), ``models`` + ``migrations`` (SQLAlchemy 2,
Alembic, applied at start), ``db`` (engines: SQLite WAL default, PostgreSQL via psycopg 3),
``bench`` (load test).

HTTP contract, JSON unless noted. Kiosk auth: ``X-Kiosk-Id`` + ``Authorization: Bearer
<credential>`` (stored as SHA-256; 401 unknown/bad, 403 revoked). Admin: ``Bearer <admin
token>``. Staff (counters): admin token, or ``X-Agency-Id`` + ``X-Counter-Id`` + Bearer counter
credential (403 outside its agency).

    GET  /healthz                              {"status": "ok"}
    POST /api/v1/kiosks/enrol          admin   {"kiosk_id","agency_id"} -> {"kiosk_id","credential"}
    POST /api/v1/kiosks/{kiosk_id}/revoke  admin
    GET  /api/v1/kiosks                admin   kiosks with last heartbeat and health
    GET  /api/v1/trust-list            kiosk   {"keys":[{"kid","alg","public_key","not_after"}],
                                                "issued_at"}
    POST /api/v1/sync                  kiosk   {"events":[...]} ->
                                               {"results":[{"event_id","status","detail"}]};
                                               ≤ 500 events and ≤ 1 MB (413), bad envelope 422
    PUT  /api/v1/documents/{id}        kiosk   raw JPEG/PDF ≤ 1 MB: 201 stored, 200 identical
                                               already stored, 422 checksum/type, 413 size,
                                               409 other bytes or other kiosk under that id
    POST /api/v1/heartbeat             kiosk   health fields -> {"server_time"}
    POST /api/v1/turns                 admin   book -> {"turn_id","token","confirmation_url"}
    GET  /api/v1/turns/{id}/confirmation.pdf   "Confirmación del Turno en Línea" (signed QR)
    POST /api/v1/agencies/{a}/counters/{c}/enrol   admin -> counter credential
    POST /api/v1/agencies/{a}/counters/{c}/next    staff, optional {"tramites":[...]} -> 200|204
    POST /api/v1/tickets/{id}/complete | no-show | recall   staff (409 from a wrong state)
    GET  /api/v1/tickets/{id}/status           public: state, position, wait range
    GET  /t/{id}                               public HTML status page (the receipt's QR)
    GET  /api/v1/tickets/{id}/documents        staff; GET /api/v1/documents/{id}: the bytes
    GET  /api/v1/conflicts             admin   turns checked in twice (their tickets "held")
    POST /api/v1/conflicts/{id}/resolve  admin {"action": "admit" | "reject"}
    GET  /openapi.json
"""
