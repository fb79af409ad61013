"""Cards of record: a canonical number per card, the keys taps find it by, and who held it when.

``card.uid`` becomes the canonical number (``iso14443a:DEADBEEF``,
``em4100:67003B51C6``: technology and the known bits in hex), ``card.kind``
the technology; ``cardkey`` holds every key a tap may look the card up under
(a Wiegand-26 reader knows 24 of an EM4100 fob's 40 bits), unique across
cards; ``cardissue`` who held it from when to when. Each existing card is
converted as its reader kind delivered it, and issued to its guard since
1970-01-01. A key two legacy cards share stays with the first (by uid) and is
logged: a reader could not tell them apart, and the registry now says so on
the next import. ``card.guard_id`` may be empty (a returned card).

The key arithmetic is copied from ``protocol.cards`` as it was, so that this
revision never changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:00:00.000000
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

_EM_LEVELS = (40, 32, 24)
# (old reader kind, number of hex digits) -> (technology, known bits)
_TECH = {"em4100": "em4100", "wiegand26": "em4100", "wiegand34": "em4100"}
_ASCII = {6: "em4100", 8: "em4100", 10: "em4100", 14: "iso14443a", 20: "iso14443a"}


def _converted(kind: str, uid: str) -> tuple[str, str, list[str]]:
    """(canonical uid, technology, keys) of a card stored by its reader's kind and uid."""
    digits = uid.strip().upper()
    tech = _TECH.get(kind) or (_ASCII.get(len(digits), "iso14443a") if kind == "ascii" else "iso14443a")
    if tech == "iso14443a":
        return f"iso14443a:{digits}", tech, [f"iso14443a:{digits}"]
    bits, value = 4 * len(digits), int(digits, 16)
    keys = [f"em4100/{lv}:{value & ((1 << lv) - 1):0{lv // 4}X}" for lv in _EM_LEVELS if lv <= bits]
    if bits < 40:
        keys.append(f"em4100={bits}:{value:0{bits // 4}X}")
    return f"em4100:{digits}", tech, keys


def upgrade() -> None:
    op.create_table(
        "cardkey",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("card_uid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["card_uid"], ["card.uid"]),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_cardkey_card_uid", "cardkey", ["card_uid"], unique=False)
    op.create_table(
        "cardissue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_uid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("guard_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["card_uid"], ["card.uid"]),
        sa.ForeignKeyConstraint(["guard_id"], ["guard.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cardissue_card_uid", "cardissue", ["card_uid"], unique=False)
    op.create_index("ix_cardissue_guard_id", "cardissue", ["guard_id"], unique=False)
    with op.batch_alter_table("card") as batch_op:
        batch_op.add_column(
            sa.Column("printed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch_op.alter_column("guard_id", existing_type=sa.String(), nullable=True)
    _convert_cards()


def _convert_cards() -> None:
    bind = op.get_bind()
    taken: set[str] = set()
    for uid, kind, guard_id in bind.execute(sa.text("SELECT uid, kind, guard_id FROM card ORDER BY uid")).all():
        canonical, tech, keys = _converted(kind, uid)
        bind.execute(
            sa.text("UPDATE card SET uid = :new, kind = :tech, printed = :printed WHERE uid = :old"),
            {"new": canonical, "tech": tech, "printed": uid, "old": uid},
        )
        for key in keys:
            if key in taken:
                logger.warning("card %s shares key %s with an earlier card: kept with that one", canonical, key)
                continue
            taken.add(key)
            bind.execute(
                sa.text("INSERT INTO cardkey (key, card_uid) VALUES (:key, :uid)"), {"key": key, "uid": canonical}
            )
        bind.execute(
            sa.text("INSERT INTO cardissue (card_uid, guard_id, issued_on) VALUES (:uid, :guard, '1970-01-01')"),
            {"uid": canonical, "guard": guard_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    for uid, printed in bind.execute(sa.text("SELECT uid, printed FROM card")).all():
        bind.execute(sa.text("UPDATE card SET uid = :old WHERE uid = :new"), {"old": printed or uid, "new": uid})
    op.drop_table("cardissue")
    op.drop_table("cardkey")
    bind.execute(sa.text("DELETE FROM card WHERE guard_id IS NULL"))
    with op.batch_alter_table("card") as batch_op:
        batch_op.alter_column("guard_id", existing_type=sa.String(), nullable=False)
        batch_op.drop_column("printed")
