"""Leave (请假) and missed-tap corrections (补卡), filed by one side and approved by the other.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "attendancerequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("guard_id", text(length=32), nullable=False),
        sa.Column("site_id", text(length=32), nullable=False),
        sa.Column("company_id", text(length=32), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("leave_kind", sa.String(length=24), nullable=True),
        sa.Column("direction", text(length=3), nullable=True),
        sa.Column("at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", text(length=500), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("requested_by", text(length=64), nullable=False),
        sa.Column("requested_role", text(length=16), nullable=False),
        sa.Column("requested_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", text(length=64), nullable=True),
        sa.Column("decided_role", text(length=16), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", text(length=500), nullable=False),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attendancerequest_guard_id", "attendancerequest", ["guard_id"])
    op.create_index("ix_attendancerequest_site_id", "attendancerequest", ["site_id"])
    op.create_index("ix_attendancerequest_company_id", "attendancerequest", ["company_id"])
    op.create_index("ix_attendancerequest_status", "attendancerequest", ["status"])


def downgrade() -> None:
    op.drop_table("attendancerequest")
