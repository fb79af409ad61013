"""Cases: a violation taken up by the regulator, its correction (整改) ordered, answered and closed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 23:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "violationcase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("jurisdiction", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("opened_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["violation_id"], ["violation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("violation_id"),
    )
    op.create_index("ix_violationcase_company_id", "violationcase", ["company_id"])
    op.create_index("ix_violationcase_site_id", "violationcase", ["site_id"])
    op.create_index("ix_violationcase_jurisdiction", "violationcase", ["jurisdiction"])
    op.create_table(
        "violationcasestep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("attachment_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attachment_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["violationcase.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_violationcasestep_case_id", "violationcasestep", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_violationcasestep_case_id", table_name="violationcasestep")
    op.drop_table("violationcasestep")
    for name in ("jurisdiction", "site_id", "company_id"):
        op.drop_index(f"ix_violationcase_{name}", table_name="violationcase")
    op.drop_table("violationcase")
