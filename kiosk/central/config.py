"""Settings of the central queue service (CLI flags or KIOSK_CENTRAL_* environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class QueuePolicy:
    """Who is called next; see kiosk.central.queue for the rule itself."""

    priority_first: bool = True  # Constitution Art. 35 attention groups
    appointments_first: bool = True
    starvation_minutes: int = 20  # a walk-in waiting longer ranks with the appointments
    service_minutes: float = 8.0  # average time at a counter, for wait estimates


@dataclass(frozen=True)
class Settings:
    db_url: str
    keys_dir: Path
    admin_token: str
    policy: QueuePolicy = field(default_factory=QueuePolicy)
    max_body_bytes: int = 1024 * 1024
    max_events: int = 500
    turn_validity_minutes: int = 120  # a confirmation expires this long after its slot
    public_base_url: str = ""  # for links in PDFs; the request's base URL when empty

    def to_env(self) -> dict[str, str]:
        """For uvicorn worker processes, which rebuild the app from the environment."""
        return {
            "KIOSK_CENTRAL_DB": self.db_url,
            "KIOSK_CENTRAL_KEYS": str(self.keys_dir),
            "KIOSK_CENTRAL_ADMIN_TOKEN": self.admin_token,
            "KIOSK_CENTRAL_STARVATION_MINUTES": str(self.policy.starvation_minutes),
            "KIOSK_CENTRAL_PUBLIC_URL": self.public_base_url,
        }

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            db_url=env["KIOSK_CENTRAL_DB"],
            keys_dir=Path(env["KIOSK_CENTRAL_KEYS"]),
            admin_token=env["KIOSK_CENTRAL_ADMIN_TOKEN"],
            policy=QueuePolicy(
                starvation_minutes=int(env.get("KIOSK_CENTRAL_STARVATION_MINUTES", "20"))
            ),
            public_base_url=env.get("KIOSK_CENTRAL_PUBLIC_URL", ""),
        )
