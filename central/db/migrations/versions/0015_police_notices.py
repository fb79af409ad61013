"""Alerts remember when the police message went out (the broker acknowledged it).

``alert.notified_at``: an alert committed but not yet acknowledged by the broker
(a worker killed between the two, the broker down) is sent again by whichever
worker leads. Alerts stored before this revision were sent when they were made:
they get their creation time, so an upgrade sends nothing old again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from central.db.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch_op:
        batch_op.add_column(sa.Column("notified_at", UtcDateTime(timezone=True), nullable=True))
    op.execute("UPDATE alert SET notified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch_op:
        batch_op.drop_column("notified_at")
