"""queue index for call_next's "oldest of" lookups

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_queue")
        batch.create_index(
            "ix_tickets_next",
            ["agency_id", "state", "priority", "kind", "issued_at", "ticket_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_next")
        batch.create_index("ix_tickets_queue", ["agency_id", "state", "priority", "issued_at"])
