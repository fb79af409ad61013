"""Check-ins found by site or by employer within a time range, as the attendance pages read them.

A site's (or a company's) taps of a day or a month were found through the
site index and filtered by time, or through the time index and filtered by
site: at a city's size (12 million taps a month) either reads hundreds of
thousands of rows for a few thousand. The two-column indexes read just those;
they replace the one-column ones on site and employer, which they cover.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checkin_site_id_occurred_at", "checkin", ["site_id", "occurred_at"])
    op.create_index("ix_checkin_employer_id_occurred_at", "checkin", ["employer_id", "occurred_at"])
    op.drop_index("ix_checkin_site_id", table_name="checkin")
    op.drop_index("ix_checkin_employer_id", table_name="checkin")


def downgrade() -> None:
    op.create_index("ix_checkin_site_id", "checkin", ["site_id"])
    op.create_index("ix_checkin_employer_id", "checkin", ["employer_id"])
    op.drop_index("ix_checkin_employer_id_occurred_at", table_name="checkin")
    op.drop_index("ix_checkin_site_id_occurred_at", table_name="checkin")
