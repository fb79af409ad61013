"""Registry hits: registered guards whose ID number is on the wanted list, one row per (guard, entry).

A registry sweep (``central.alerts.sweep``) compares every guard's ID-number
hash with the wanted list's and keeps each pair it finds here: when first and
last seen, whether it still holds (``open`` / ``cleared``), and when the police
were told. No foreign keys: the record outlives a guard's or an entry's
removal. A new table; nothing to carry over (the first sweep fills it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registryhit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("watchlist_entry_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("jurisdiction", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("guard_id", "watchlist_entry_id"),
    )
    op.create_index("ix_registryhit_guard_id", "registryhit", ["guard_id"], unique=False)
    op.create_index("ix_registryhit_watchlist_entry_id", "registryhit", ["watchlist_entry_id"], unique=False)
    op.create_index("ix_registryhit_jurisdiction", "registryhit", ["jurisdiction"], unique=False)


def downgrade() -> None:
    op.drop_table("registryhit")  # its indexes go with it
