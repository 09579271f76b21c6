"""Outbox worker and the client of the central queue service."""

from kiosk.sync.client import (
    CentralAuthError,
    CentralClient,
    CentralError,
    CentralRejected,
    CentralUnavailable,
    EventResult,
)
from kiosk.sync.worker import DrainReport, SyncWorker, load_trust_list

__all__ = [
    "CentralAuthError",
    "CentralClient",
    "CentralError",
    "CentralRejected",
    "CentralUnavailable",
    "DrainReport",
    "EventResult",
    "SyncWorker",
    "load_trust_list",
]
