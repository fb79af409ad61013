"""Guards' fingerprints enrolled at central: module templates per guard and finger, sealed at rest.

An enrolment station (a terminal's module, or a desk reader of the same family)
reads the guard's finger twice, combines the captures (RegModel) and uploads
the template (UpChar); central keeps it per guard and finger (0 = right thumb
... 9 = left little finger), sealed like ID numbers (``central.db.types.SealedBytes``).
The templates reach the guard's terminals with their rosters (``central.rosters``),
where the module matches them 1:1 at a tap. Templates, never images.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from central.db.types import SealedBytes, UtcDateTime, utcnow
from central.errors import NotFound, Unprocessable
from central.registry.models import Guard

FINGERS = range(10)  # 0 right thumb ... 4 right little, 5 left thumb ... 9 left little
TEMPLATE_SIZES = frozenset({256, 384, 512, 768, 1024})  # what R30x / AS608-family modules upload


class GuardFingerprint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("guard_id", "finger"),)

    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(foreign_key="guard.id", index=True, max_length=32)
    finger: int = Field(ge=0, le=9)
    template: bytes = Field(sa_type=SealedBytes)  # as the module uploads it (UpChar)
    enrolled_at: datetime = Field(sa_type=UtcDateTime)


def enrol_fingerprint(session: Session, guard_id: str, finger: int, template: bytes) -> GuardFingerprint:
    """Store (or replace) one finger's template; the commit is the caller's."""
    if session.get(Guard, guard_id) is None:
        raise NotFound("guard", guard_id)
    if finger not in FINGERS:
        raise Unprocessable("手指编号须为 0–9 / finger must be 0..9", code="fingerprint.finger")
    if len(template) not in TEMPLATE_SIZES:
        raise Unprocessable(
            f"指纹模板长度 {len(template)} 字节不符 / a template of {len(template)} bytes is no module template "
            f"({', '.join(map(str, sorted(TEMPLATE_SIZES)))})",
            code="fingerprint.template",
        )
    row = session.exec(
        select(GuardFingerprint).where(GuardFingerprint.guard_id == guard_id, GuardFingerprint.finger == finger)
    ).first() or GuardFingerprint(guard_id=guard_id, finger=finger, template=template, enrolled_at=utcnow())
    row.template, row.enrolled_at = template, utcnow()
    session.add(row)
    return row


def fingerprints_of(session: Session, guard_ids: Iterable[str]) -> dict[str, list[bytes]]:
    """Each guard's templates, by finger."""
    ids = list(guard_ids)
    found: dict[str, list[bytes]] = {}
    if not ids:
        return found
    query = (
        select(GuardFingerprint)
        .where(col(GuardFingerprint.guard_id).in_(ids))
        .order_by(col(GuardFingerprint.guard_id), col(GuardFingerprint.finger))
    )
    for row in session.exec(query).all():
        found.setdefault(row.guard_id, []).append(row.template)
    return found


def forget_fingerprints(session: Session, guard_id: str) -> int:
    rows = session.exec(select(GuardFingerprint).where(GuardFingerprint.guard_id == guard_id)).all()
    for row in rows:
        session.delete(row)
    return len(rows)
