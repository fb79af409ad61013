"""Check-ins' content hash; terminals' managed settings and clock offset.

``checkin.content_hash``: a later copy of an event id with other content is a
conflict. Existing rows get none: a copy of an event stored before this revision
is taken as the duplicate it almost certainly is. ``terminal`` gains the
settings central sends with the roster (face thresholds, repeat window) and the
clock offset of its last status.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


_TERMINAL = ("verify_threshold", "watchlist_threshold", "repeat_window_s", "clock_offset_s")


def upgrade() -> None:
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.add_column(sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table("terminal") as batch_op:
        for name in _TERMINAL:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminal") as batch_op:
        for name in reversed(_TERMINAL):
            batch_op.drop_column(name)
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.drop_column("content_hash")
