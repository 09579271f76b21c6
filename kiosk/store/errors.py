"""Errors the store raises. Messages name paths and ids, never personal data."""

from __future__ import annotations


class StoreError(Exception):
    """The kiosk store cannot do its job (unwritable data dir, corrupt database, bad key...).

    The message is meant for the technician's log and diagnostics screen; the UI's error funnel
    shows the citizen a calm "fuera de servicio" page instead.
    """


class TurnAlreadyUsed(StoreError):  # noqa: N818 - the name the UI and brief use
    """The online turn was already used for another check-in on this kiosk."""

    def __init__(self, turn_id: str) -> None:
        super().__init__(f"turn {turn_id} has already been used for a check-in")
        self.turn_id = turn_id


class DocumentUnreadableError(StoreError):
    """A stored document file is missing, corrupt, tampered with or encrypted with another key."""

    def __init__(self, document_id: str, reason: str) -> None:
        super().__init__(f"document {document_id} cannot be read: {reason}")
        self.document_id = document_id


class UnknownTicketError(StoreError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket {ticket_id} in the kiosk store")
        self.ticket_id = ticket_id
