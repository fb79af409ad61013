"""A guard's employment and level become dated history; a check-in keeps the employer of its day.

``employment`` and ``guardlevel`` hold who employed a guard, and at what level,
from which day to which. Every existing guard gets one row of each from
1970-01-01 (as far back as the registry knows) with its current employer and
level. ``checkin.employer_id`` is the card holder's employer on the tap's day;
existing check-ins get the employer their guard has now, the best that is
known of them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SINCE_ALWAYS = "1970-01-01"
_FK = "fk_checkin_employer_id_company"


def _dated(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        *columns,
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("guard_id", "valid_from"),
    )
    op.create_index(f"ix_{name}_guard_id", name, ["guard_id"], unique=False)


def upgrade() -> None:
    _dated(
        "employment",
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(), sa.ForeignKey("company.id"), nullable=True),
    )
    op.create_index("ix_employment_company_id", "employment", ["company_id"], unique=False)
    _dated("guardlevel", sa.Column("level", sa.Integer(), nullable=False))
    op.execute(
        "INSERT INTO employment (guard_id, company_id, valid_from) "  # noqa: S608  (no input: constants only)
        f"SELECT id, employer_id, '{_SINCE_ALWAYS}' FROM guard"
    )
    op.execute(f"INSERT INTO guardlevel (guard_id, level, valid_from) SELECT id, level, '{_SINCE_ALWAYS}' FROM guard")  # noqa: S608
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.add_column(sa.Column("employer_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index("ix_checkin_employer_id", ["employer_id"], unique=False)
        batch_op.create_foreign_key(_FK, "company", ["employer_id"], ["id"])
    op.execute(
        "UPDATE checkin SET employer_id = (SELECT guard.employer_id FROM guard WHERE guard.id = checkin.guard_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.drop_index("ix_checkin_employer_id")
        batch_op.drop_column("employer_id")
    op.drop_table("guardlevel")
    op.drop_table("employment")
