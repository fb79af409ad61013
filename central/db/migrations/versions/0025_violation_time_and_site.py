"""A violation carries its check-in's time and site, so that a station's violations are read without its taps.

The police's list of violations (newest first) and their overview found a
station's violations through its check-ins: at a city's size PostgreSQL walked
millions of taps for a page of violations. The two columns are copied from
the check-in (they never change) and indexed together.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 02:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("violation", sa.Column("occurred_at", UtcDateTime(timezone=True), nullable=True))
    op.add_column("violation", sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute(
        "UPDATE violation SET"
        " occurred_at = (SELECT c.occurred_at FROM checkin c WHERE c.event_id = violation.event_id),"
        " site_id = (SELECT c.site_id FROM checkin c WHERE c.event_id = violation.event_id)"
    )
    op.create_index("ix_violation_site_id_occurred_at", "violation", ["site_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_violation_site_id_occurred_at", table_name="violation")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch copy: a copy drops the table that cases
    # point at, which SQLite refuses.
    op.drop_column("violation", "site_id")
    op.drop_column("violation", "occurred_at")
