"""Sites' optional WGS-84 coordinates, for the map link on the police alert card.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): batch mode would copy the table many others point at.
    op.add_column("site", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("site", sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
