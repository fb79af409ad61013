"""Cases the daily registry check opens on a finding (no violation, a finding key), and reminders of what ends soon.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 01:40:00.000000
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


@contextmanager
def _steps_set_aside() -> Iterator[None]:
    """SQLite rebuilds violationcase to alter it, and dropping the old table with steps pointing at it
    breaks their foreign keys: the steps are kept aside meanwhile, then put back as they were."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TABLE _violationcasestep_kept AS SELECT * FROM violationcasestep")
        op.execute("DELETE FROM violationcasestep")
    yield
    if sqlite:
        op.execute("INSERT INTO violationcasestep SELECT * FROM _violationcasestep_kept")
        op.execute("DROP TABLE _violationcasestep_kept")


def upgrade() -> None:
    with _steps_set_aside(), op.batch_alter_table("violationcase") as batch_op:
        batch_op.alter_column("violation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("finding_key", sqlmodel.sql.sqltypes.AutoString(length=200)))
    op.create_index("ix_violationcase_finding_key", "violationcase", ["finding_key"])
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason_zh", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("article", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminder_company_id", "reminder", ["company_id"])
    op.create_index("ix_reminder_site_id", "reminder", ["site_id"])


def downgrade() -> None:
    op.drop_index("ix_reminder_site_id", table_name="reminder")
    op.drop_index("ix_reminder_company_id", table_name="reminder")
    op.drop_table("reminder")
    op.execute(
        "DELETE FROM violationcasestep WHERE case_id IN (SELECT id FROM violationcase WHERE violation_id IS NULL)"
    )
    op.execute("DELETE FROM violationcase WHERE violation_id IS NULL")
    op.drop_index("ix_violationcase_finding_key", table_name="violationcase")
    with _steps_set_aside(), op.batch_alter_table("violationcase") as batch_op:
        batch_op.drop_column("finding_key")
        batch_op.alter_column("violation_id", existing_type=sa.Integer(), nullable=False)
