"""Failed logins counted in the database, so every central worker sees the same lockouts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 22:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loginfailure",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("loginfailure")
