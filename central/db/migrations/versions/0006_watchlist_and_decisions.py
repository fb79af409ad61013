"""The watchlist's side tables and the alert decisions under migrations.

Until this revision ``create_db`` made these six tables with ``create_all``
outside migrations: the face templates of watchlist entries, the list's
revisions and their changes, the last push per terminal, the police's
false-positive decisions and the alerts they suppressed. A database that has
them already keeps them (and their rows); one that lacks them gets them here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:16:03.587900
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from central.db.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _alertsuppression() -> None:
    op.create_table(
        "alertsuppression",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("decision_alert_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_alertsuppression_decision_alert_id", "alertsuppression", ["decision_alert_id"], unique=False)


def _falsepositivedecision() -> None:
    op.create_table(
        "falsepositivedecision",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("watchlist_entry_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_falsepositivedecision_guard_id", "falsepositivedecision", ["guard_id"], unique=False)
    op.create_index(
        "ix_falsepositivedecision_watchlist_entry_id", "falsepositivedecision", ["watchlist_entry_id"], unique=False
    )


def _watchlistpush() -> None:
    op.create_table(
        "watchlistpush",
        sa.Column("terminal_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pushed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id"),
    )


def _watchlistrevision() -> None:
    op.create_table(
        "watchlistrevision",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("version"),
    )


def _watchlistchange() -> None:
    op.create_table(
        "watchlistchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["watchlistrevision.seq"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watchlistchange_seq", "watchlistchange", ["seq"], unique=False)


def _watchlisttemplate() -> None:
    op.create_table(
        "watchlisttemplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["watchlistentry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watchlisttemplate_entry_id", "watchlisttemplate", ["entry_id"], unique=False)


# In creation order: a change refers to its revision.
_TABLES: dict[str, Callable[[], None]] = {
    "alertsuppression": _alertsuppression,
    "falsepositivedecision": _falsepositivedecision,
    "watchlistpush": _watchlistpush,
    "watchlistrevision": _watchlistrevision,
    "watchlistchange": _watchlistchange,
    "watchlisttemplate": _watchlisttemplate,
}


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in _TABLES.items():
        if name not in existing:  # made by create_db outside migrations before this revision
            create()


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)  # their indexes go with them
