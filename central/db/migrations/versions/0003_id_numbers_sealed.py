"""ID numbers sealed at rest: guard and watchlistentry get ``id_number_hash``; numbers re-encrypted.

``id_number`` becomes ``v1:<nonce+ciphertext>`` (AES-GCM, ``central.db.sealing``)
and ``id_number_hash`` its HMAC-SHA256 for exact look-ups; a guard's number is
unique by its hash (the sealed text differs on every write). Existing clear
numbers are sealed during the upgrade with the key bound to the engine that
runs it (``central.db.create_db`` under the service's settings, or
``guardpost registry db upgrade``); without a key, an upgrade of a database
holding numbers stops with IdProtectionError and changes nothing. The
downgrade opens them back to clear text, with the same key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:10:02.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from central.db.types import IdCipher, cipher_for, is_sealed

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite reflects the inline UNIQUE of 0001 without a name: this names it for batch mode.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    rows = {table: _numbered_rows(table) for table in ("guard", "watchlistentry")}
    # Before any change (SQLite does not roll DDL back): without a key, stop here.
    cipher = cipher_for(op.get_bind().dialect) if any(rows.values()) else None
    for table, numbered in rows.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("id_number_hash", sa.String(length=64), nullable=True))
            batch_op.alter_column("id_number", existing_type=sa.String(length=18), type_=sa.String(length=96))
        if cipher is not None:
            _seal_rows(table, numbered, cipher)
    _drop_number_unique()
    with op.batch_alter_table("guard") as batch_op:
        batch_op.alter_column("id_number_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_guard_id_number_hash", ["id_number_hash"], unique=True)
    with op.batch_alter_table("watchlistentry") as batch_op:
        batch_op.create_index("ix_watchlistentry_id_number_hash", ["id_number_hash"], unique=False)


def _numbered_rows(table: str) -> list[tuple[str, str]]:
    query = sa.text(f"SELECT id, id_number FROM {table} WHERE id_number IS NOT NULL")  # noqa: S608
    return [(row_id, number) for row_id, number in op.get_bind().execute(query).all()]


def _seal_rows(table: str, rows: list[tuple[str, str]], cipher: IdCipher) -> None:
    update = sa.text(f"UPDATE {table} SET id_number = :sealed, id_number_hash = :hash WHERE id = :id")  # noqa: S608
    for row_id, stored in rows:
        number = cipher.open(stored) if is_sealed(stored) else stored
        op.get_bind().execute(update, {"sealed": cipher.seal(number), "hash": cipher.lookup_hash(number), "id": row_id})


def _drop_number_unique() -> None:
    bind = op.get_bind()
    uniques = sa.inspect(bind).get_unique_constraints("guard")
    names = [u["name"] for u in uniques if u["column_names"] == ["id_number"]]
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("guard", naming_convention=_NAMES, recreate="always") as batch_op:
            if names:
                batch_op.drop_constraint(names[0] or "uq_guard_id_number", type_="unique")
    elif names and names[0]:
        op.drop_constraint(names[0], "guard", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("watchlistentry") as batch_op:
        batch_op.drop_index("ix_watchlistentry_id_number_hash")
    with op.batch_alter_table("guard") as batch_op:
        batch_op.drop_index("ix_guard_id_number_hash")
    for table in ("guard", "watchlistentry"):
        _open_rows(table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("id_number_hash")
            batch_op.alter_column("id_number", existing_type=sa.String(length=96), type_=sa.String(length=18))
    with op.batch_alter_table("guard") as batch_op:
        batch_op.create_unique_constraint("guard_id_number_key", ["id_number"])


def _open_rows(table: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, id_number FROM {table} WHERE id_number IS NOT NULL")).all()  # noqa: S608
    update = sa.text(f"UPDATE {table} SET id_number = :number WHERE id = :id")  # noqa: S608
    for row_id, stored in rows:
        if is_sealed(stored):
            bind.execute(update, {"number": cipher_for(bind.dialect).open(stored), "id": row_id})
