"""A police webhook's delivery knows whether it carried the escalated alert, to send it again when escalated.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Deliveries queued before: as they were (not escalated); one escalated since is sent again, as it should be.
    op.add_column("webhookdelivery", sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("webhookdelivery", "escalated")
