"""The audit log records the client address and refuses ``INSERT OR REPLACE``; dead letters keep no ID number.

- ``auditentry.address``: the client address the server saw (after a trusted
  reverse proxy), NULL for entries written before.
- On SQLite a ``REPLACE`` (``INSERT OR REPLACE``) of an existing entry deleted
  it without firing the delete trigger; a trigger now refuses any insert of an
  id that is already there. (PostgreSQL's statement triggers already refuse
  ``ON CONFLICT DO UPDATE``, ``UPDATE``, ``DELETE`` and ``TRUNCATE``.)
- Dead letters stored before held resident ID numbers in clear: every run of 15
  or more digits in their payload and reason is masked (``1101**********0012``),
  as ``central.checkins.dead_letters`` masks new ones. Masking cannot be undone:
  the downgrade leaves them masked.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:30:00.000000
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Copied as they were when this revision was written, so that the revision never changes.
NO_REPLACE = (
    "CREATE TRIGGER IF NOT EXISTS auditentry_no_replace BEFORE INSERT ON auditentry "
    "WHEN EXISTS (SELECT 1 FROM auditentry WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
)
SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS auditentry_no_delete BEFORE DELETE ON auditentry "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
]
LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])")


def mask_id_number(value: str) -> str:
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_numbers(text: str) -> str:
    return LONG_NUMBER.sub(lambda m: mask_id_number(m.group()), text)


def mask_payload(payload: bytes) -> bytes:
    for encoding in (json.detect_encoding(payload), "utf-8", "latin-1"):
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        masked = mask_numbers(text)
        return payload if masked == text else masked.encode(encoding)
    return payload


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("auditentry")}
    if "address" not in columns:  # a table create_db made outside migrations may have it already
        with op.batch_alter_table("auditentry") as batch_op:
            batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(NO_REPLACE)
    _mask_dead_letters()


def _mask_dead_letters() -> None:
    bind = op.get_bind()
    update = sa.text("UPDATE deadletter SET payload = :payload, reason = :reason WHERE id = :id")
    for row_id, payload, reason in bind.execute(sa.text("SELECT id, payload, reason FROM deadletter")).all():
        masked, masked_reason = mask_payload(bytes(payload)), mask_numbers(reason)
        if masked != bytes(payload) or masked_reason != reason:
            bind.execute(update, {"payload": masked, "reason": masked_reason, "id": row_id})


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_replace")
    # SQLite copies the table to drop a column: the triggers go with the old one and are put back.
    with op.batch_alter_table("auditentry") as batch_op:
        batch_op.drop_column("address")
    if sqlite:
        for sql in SQLITE_APPEND_ONLY:
            op.execute(sql)
