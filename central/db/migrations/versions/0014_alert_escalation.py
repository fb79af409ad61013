"""Alert escalation: when an alert not acknowledged in time was escalated, and which police accounts supervise.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from central.db.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch_op:
        batch_op.add_column(sa.Column("escalated_at", UtcDateTime(timezone=True), nullable=True))
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("account")}
    if "supervisor" not in columns:  # a table create_db made outside migrations may have it already
        # A plain ADD COLUMN (SQLite has it): batch mode would copy the table, and dropping the old
        # one fails on SQLite while sessions and API keys point at it.
        op.add_column("account", sa.Column("supervisor", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("supervisor")
    with op.batch_alter_table("alert") as batch_op:
        batch_op.drop_column("escalated_at")
