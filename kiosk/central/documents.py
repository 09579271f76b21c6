"""Storing one captured document at the central: shared by the upload endpoint and the import of
an offline outbox bundle, so both apply the same checks."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kiosk.central.models import Document
from kiosk.central.timeutil import utcnow


class DocumentConflictError(ValueError):
    """The bytes cannot be stored under this id (another kiosk's, or other bytes)."""


def store_document(
    session: Session,
    *,
    kiosk_id: str,
    document_id: str,
    ticket_id: str,
    requirement_id: str,
    content_type: str,
    data: bytes,
    sha256: str,
) -> int:
    """Store verified bytes; 201 when stored now, 200 when the same bytes were already there."""
    doc = session.get(Document, document_id)
    if doc is not None and doc.kiosk_id != kiosk_id:
        raise DocumentConflictError("document id belongs to another kiosk")
    if doc is not None and doc.uploaded_at is not None:
        if doc.sha256 == sha256:
            return 200
        raise DocumentConflictError("a different document is already stored under this id")
    if doc is not None and doc.sha256 != sha256:
        # declared by ticket_issued with other bytes' checksum: keep what was declared
        raise DocumentConflictError("bytes do not match the checksum declared for this id")
    if doc is None:
        doc = Document(
            document_id=document_id,
            ticket_id=ticket_id,
            requirement_id=requirement_id,
            kiosk_id=kiosk_id,
        )
        session.add(doc)
    doc.content_type, doc.sha256, doc.size = content_type, sha256, len(data)
    doc.data, doc.uploaded_at = data, utcnow()
    return 201
