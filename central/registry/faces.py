"""Guards' faces enrolled at central: templates from registration photos, and the registered portrait.

Central is where a guard is enrolled (once, by the administrator or the
employer), and every terminal of the guard's sites receives the templates with
its roster (``central.rosters``). Each photo is checked by the terminal's face
engine (``central.faces``); a refused photo is reported with its reason and the
rest are kept. A guard keeps the ``KEEP`` best templates by the detector's
score, and the best photo as the registered portrait shown beside check-in
photos. Templates, never images, leave central.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, Session, SQLModel, col, delete, select

from central.db.types import UtcDateTime, utcnow
from central.errors import NotFound
from central.faces import FacePhoto, PhotoRefused, analyse_photo
from central.registry.models import Guard

KEEP = 5  # templates kept per guard: the best by the detector's score


class GuardTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(foreign_key="guard.id", index=True, max_length=32)
    data: bytes = Field(sa_type=LargeBinary)  # 128 little-endian float32 (SFace)
    quality: float  # the detector's score of the face it came from
    source: str = Field(default="photo", max_length=16)  # photo | checkin (a capture a supervisor confirmed)
    created_at: datetime = Field(sa_type=UtcDateTime)


class GuardPortrait(SQLModel, table=True):
    """The registered portrait: the best enrolment photo, re-encoded (no uploaded metadata)."""

    guard_id: str = Field(primary_key=True, foreign_key="guard.id", max_length=32)
    jpeg: bytes = Field(sa_type=LargeBinary)
    quality: float
    updated_at: datetime = Field(sa_type=UtcDateTime)


@dataclass(frozen=True, slots=True)
class PhotoOutcome:
    """One uploaded photo: kept (with the face's score) or refused (with the reason)."""

    name: str
    kept: bool
    quality: float | None = None
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class EnrolmentResult:
    guard_id: str
    photos: tuple[PhotoOutcome, ...]
    templates: int  # how many the guard has now


def enrol_photos(
    session: Session, guard_id: str, photos: Sequence[tuple[str, bytes]], source: str = "photo"
) -> EnrolmentResult:
    """Add the usable photos' templates to the guard's (keeping the best ``KEEP``); commit is the caller's."""
    if session.get(Guard, guard_id) is None:
        raise NotFound("guard", guard_id)
    outcomes: list[PhotoOutcome] = []
    usable: list[FacePhoto] = []
    for index, (name, data) in enumerate(photos, start=1):
        try:
            photo = analyse_photo(data, index)
        except PhotoRefused as refused:
            outcomes.append(PhotoOutcome(name, False, reason_zh=refused.reason_zh, reason_en=refused.reason_en))
            continue
        usable.append(photo)
        outcomes.append(PhotoOutcome(name, True, quality=round(photo.quality, 3)))
    now = utcnow()
    for photo in usable:
        session.add(GuardTemplate(guard_id=guard_id, data=photo.template, quality=photo.quality,
                                  source=source, created_at=now))  # fmt: skip
    session.flush()
    kept = _keep_best(session, guard_id)
    if usable:
        _update_portrait(session, guard_id, max(usable, key=lambda p: p.quality), now)
    return EnrolmentResult(guard_id, tuple(outcomes), kept)


def _keep_best(session: Session, guard_id: str) -> int:
    rows = session.exec(
        select(GuardTemplate).where(GuardTemplate.guard_id == guard_id).order_by(col(GuardTemplate.quality).desc())
    ).all()
    for row in rows[KEEP:]:
        session.delete(row)
    return min(len(rows), KEEP)


def _update_portrait(session: Session, guard_id: str, best: FacePhoto, now: datetime) -> None:
    portrait = session.get(GuardPortrait, guard_id)
    if portrait is not None and portrait.quality >= best.quality:
        return
    session.merge(GuardPortrait(guard_id=guard_id, jpeg=best.jpeg, quality=best.quality, updated_at=now))


def templates_of(session: Session, guard_ids: Iterable[str]) -> dict[str, list[bytes]]:
    """Each guard's templates, best first."""
    ids = list(guard_ids)
    found: dict[str, list[bytes]] = {}
    if not ids:
        return found
    query = (
        select(GuardTemplate.guard_id, GuardTemplate.data)
        .where(col(GuardTemplate.guard_id).in_(ids))
        .order_by(col(GuardTemplate.guard_id), col(GuardTemplate.quality).desc())
    )
    for guard_id, data in session.exec(query).all():
        found.setdefault(guard_id, []).append(data)
    return found


def portrait_of(session: Session, guard_id: str) -> bytes | None:
    portrait = session.get(GuardPortrait, guard_id)
    return portrait.jpeg if portrait is not None else None


def forget_faces(session: Session, guard_id: str) -> None:
    """Remove the guard's templates and portrait (a guard who leaves, or withdrawn consent)."""
    session.execute(delete(GuardTemplate).where(col(GuardTemplate.guard_id) == guard_id))
    session.execute(delete(GuardPortrait).where(col(GuardPortrait.guard_id) == guard_id))
