"""Terminal gets ``watchlist_stale``: the terminal's own word on its watchlist, from its status message.

None when the terminal holds the current list; else ``needs_full``, ``behind``
or ``too_old`` (``protocol.messages.TerminalStatus``). Existing rows start at
None until the terminal's next status message.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("terminal") as batch_op:
        batch_op.add_column(sa.Column("watchlist_stale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminal") as batch_op:
        batch_op.drop_column("watchlist_stale")
