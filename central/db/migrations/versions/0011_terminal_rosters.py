"""Terminal rosters: guards' face templates and portraits at central, what each terminal was sent.

``guardtemplate`` and ``guardportrait`` hold the faces enrolled centrally;
``rosterpush`` the roster version and per-guard digests last sent to each
terminal; ``terminal`` gains the roster version and staleness it reports.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guardtemplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_guardtemplate_guard_id", "guardtemplate", ["guard_id"], unique=False)
    op.create_table(
        "guardportrait",
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.PrimaryKeyConstraint("guard_id"),
    )
    op.create_table(
        "rosterpush",
        sa.Column("terminal_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("digests", sa.JSON(), nullable=False),
        sa.Column("pushed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id"),
    )
    with op.batch_alter_table("terminal") as batch_op:
        batch_op.add_column(sa.Column("roster_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("roster_stale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminal") as batch_op:
        batch_op.drop_column("roster_stale")
        batch_op.drop_column("roster_version")
    op.drop_table("rosterpush")
    op.drop_table("guardportrait")
    op.drop_index("ix_guardtemplate_guard_id", table_name="guardtemplate")
    op.drop_table("guardtemplate")
