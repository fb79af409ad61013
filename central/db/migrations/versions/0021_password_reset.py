"""An account whose password an administrator reset must change it at its next login.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("account")}
    if "must_change_password" not in columns:  # a table create_db made outside migrations may have it already
        # A plain ADD COLUMN (SQLite has it): batch mode would copy the table, and dropping the old
        # one fails on SQLite while sessions and API keys point at it.
        op.add_column(
            "account", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("must_change_password")
