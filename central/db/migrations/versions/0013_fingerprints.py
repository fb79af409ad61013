"""Fingerprints: guards' module templates at central (sealed), and each site's check at the tap.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import SealedBytes, UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guardfingerprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("finger", sa.Integer(), nullable=False),
        sa.Column("template", SealedBytes(), nullable=False),
        sa.Column("enrolled_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("guard_id", "finger"),
    )
    op.create_index("ix_guardfingerprint_guard_id", "guardfingerprint", ["guard_id"], unique=False)
    with op.batch_alter_table("site") as batch_op:
        batch_op.add_column(
            sa.Column(
                "check_policy", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="face"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("site") as batch_op:
        batch_op.drop_column("check_policy")
    op.drop_index("ix_guardfingerprint_guard_id", table_name="guardfingerprint")
    op.drop_table("guardfingerprint")
