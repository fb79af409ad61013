"""Check-in photos in the database, for deployments whose workers run on several hosts.

Used only with ``photo_store = "database"``; with files the table stays empty.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photoblob",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_photoblob_day", "photoblob", ["day"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE photoblob ALTER COLUMN data SET STORAGE EXTERNAL")  # JPEG: compressing is wasted work


def downgrade() -> None:
    op.drop_index("ix_photoblob_day", table_name="photoblob")
    op.drop_table("photoblob")
