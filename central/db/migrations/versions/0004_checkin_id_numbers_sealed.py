"""ID numbers of resident-ID-card check-ins sealed: checkin gets ``card_id_number`` and its hash.

Before this revision a check-in made with a resident ID card (二代证) held the
number in clear in ``card_uid`` and twice in ``raw_event``. Now
``card_id_number`` holds it sealed (AES-GCM, ``central.db.sealing``),
``card_id_number_hash`` its keyed hash, ``card_uid`` the masked number, and
``raw_event`` the number sealed in both places (``central.checkins.id_numbers``).
Existing rows are sealed during the upgrade with the key bound to the engine
that runs it; without a key, an upgrade of a database holding such rows stops
with IdProtectionError before changing anything. The downgrade puts the clear
numbers back, with the same key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from central.db.types import IdCipher, cipher_for, is_sealed

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Copied as they were when this revision was written, so that the revision never changes.
RESIDENT_ID = "resident_id"


def mask_id_number(value: str) -> str:
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def _rewrite(raw: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    card = raw.get("card") or {}
    if card.get("kind") == RESIDENT_ID and card.get("uid"):
        card["uid"] = change(card["uid"])
    id_card = card.get("id_card") or {}
    if id_card.get("id_number"):
        id_card["id_number"] = change(id_card["id_number"])
    return raw


def seal_raw_event(raw: dict[str, Any], cipher: IdCipher) -> dict[str, Any]:
    return _rewrite(raw, lambda value: value if is_sealed(value) else cipher.seal(value))


def open_raw_event(stored: str, cipher: IdCipher) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(stored)
    return _rewrite(raw, lambda value: cipher.open(value) if is_sealed(value) else value)


_SELECT = sa.text("SELECT event_id, card_uid, card_id_number, raw_event FROM checkin WHERE card_kind = :kind")
_UPDATE = sa.text(
    "UPDATE checkin SET card_uid = :uid, card_id_number = :sealed, card_id_number_hash = :hash, raw_event = :raw"
    " WHERE event_id = :event_id"
)


def upgrade() -> None:
    bind = op.get_bind()
    found = bind.execute(
        sa.text("SELECT count(*) FROM checkin WHERE card_kind = :kind"), {"kind": RESIDENT_ID}
    ).scalar_one()
    # Before any change (SQLite does not roll DDL back): without a key, stop here.
    cipher = cipher_for(bind.dialect) if found else None
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.add_column(sa.Column("card_id_number", sa.String(length=96), nullable=True))
        batch_op.add_column(sa.Column("card_id_number_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_checkin_card_id_number_hash", ["card_id_number_hash"], unique=False)
    if cipher is not None:
        _seal_rows(cipher)


def _seal_rows(cipher: IdCipher) -> None:
    bind = op.get_bind()
    for event_id, uid, sealed, raw in bind.execute(_SELECT, {"kind": RESIDENT_ID}).all():
        if sealed is not None:
            continue  # sealed by the code of this revision already
        raw_sealed = json.dumps(seal_raw_event(json.loads(raw), cipher), ensure_ascii=False)
        values = {"uid": mask_id_number(uid), "sealed": cipher.seal(uid), "hash": cipher.lookup_hash(uid)}
        bind.execute(_UPDATE, {**values, "raw": raw_sealed, "event_id": event_id})


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(_SELECT, {"kind": RESIDENT_ID}).all()
    if any(sealed is not None for _e, _u, sealed, _r in rows):
        cipher = cipher_for(bind.dialect)
        update = sa.text("UPDATE checkin SET card_uid = :uid, raw_event = :raw WHERE event_id = :event_id")
        for event_id, _uid, sealed, raw in rows:
            if sealed is not None and is_sealed(sealed):
                clear = json.dumps(open_raw_event(raw, cipher), ensure_ascii=False)
                bind.execute(update, {"uid": cipher.open(sealed), "raw": clear, "event_id": event_id})
    with op.batch_alter_table("checkin") as batch_op:
        batch_op.drop_index("ix_checkin_card_id_number_hash")
        batch_op.drop_column("card_id_number_hash")
        batch_op.drop_column("card_id_number")
