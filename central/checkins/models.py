"""Check-in records: every tap as received, its violations, and what central could not accept.

A ``Checkin`` row is keyed by the event id minted on the terminal (exactly once
in the database); its ``Violation`` rows are the rules' findings; a payload
that could not be read or refused is kept in ``DeadLetter``, never dropped.
``CheckinPublic``, ``ViolationPublic`` and ``ViolationCount`` are what the
dashboard API sends.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import DDL, Index, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from central.db.types import SealedIdNumber, UtcDateTime, utcnow


class Checkin(SQLModel, table=True):
    # A site's or a company's taps over a day or a month (revision 0020): the attendance pages' reads.
    __table_args__ = (
        Index("ix_checkin_site_id_occurred_at", "site_id", "occurred_at"),
        Index("ix_checkin_employer_id_occurred_at", "employer_id", "occurred_at"),
    )

    event_id: uuid.UUID = Field(primary_key=True)  # idempotency key minted on the terminal
    terminal_id: str = Field(max_length=64, index=True)  # no FK: unknown terminals are still recorded
    seq: int
    occurred_at: datetime = Field(sa_type=UtcDateTime, index=True)
    received_at: datetime = Field(sa_type=UtcDateTime)
    site_id: str | None = Field(default=None, foreign_key="site.id")
    guard_id: str | None = Field(default=None, foreign_key="guard.id", index=True)
    # The card holder's employer on the tap's local day: the check-in stays that employer's when the guard moves.
    employer_id: str | None = Field(default=None, foreign_key="company.id")
    card_kind: str = Field(max_length=16)
    card_uid: str = Field(max_length=64)  # a resident ID card's number masked: it is sealed in the next column
    card_id_number: str | None = Field(default=None, max_length=18, sa_type=SealedIdNumber)  # see id_numbers
    card_id_number_hash: str | None = Field(default=None, max_length=64, index=True)
    direction: str = Field(max_length=8)
    face_status: str = Field(max_length=24)
    verify_score: float | None = None
    verify_threshold: float | None = None
    watchlist_version: str | None = None
    watchlist_entry_id: str | None = None
    watchlist_score: float | None = None
    watchlist_matched_by: str | None = None
    decision_outcome: str = Field(max_length=16)
    decision_code: str = Field(max_length=32)
    photo_path: str | None = None  # relative to data_dir
    # CheckinEvent.content_hash: a later copy with another hash is a conflict, dead-lettered (None: stored before 0012)
    content_hash: str | None = Field(default=None, max_length=64)
    # The event as received, photo bytes elided (they are in the file), an ID card's number sealed.
    raw_event: str = Field(sa_type=Text)


class PhotoBlob(SQLModel, table=True):
    """A check-in photo kept in the database (``photo_store = "database"``): every worker on every host reads it."""

    key: str = Field(primary_key=True, max_length=120)  # = Checkin.photo_path, e.g. photos/2026/12/06/<id>.jpg
    day: date = Field(index=True)  # the UTC day of capture: retention deletes whole days
    data: bytes = Field(sa_type=LargeBinary)


# JPEG does not compress: PostgreSQL keeps the bytes out of line without trying (as revision 0017 sets).
event.listen(
    PhotoBlob.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL("ALTER TABLE photoblob ALTER COLUMN data SET STORAGE EXTERNAL").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)


class Violation(SQLModel, table=True):
    # A site's (a station's) violations newest first, without reading its taps (revision 0021).
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        Index("ix_violation_site_id_occurred_at", "site_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="checkin.event_id", index=True)
    # The check-in's time and site, copied when the violation is stored (neither ever changes).
    occurred_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    site_id: str | None = None
    code: str = Field(max_length=40)
    reason_zh: str
    reason_en: str
    article: str


class DeadLetter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    topic: str
    reason: str = Field(sa_type=Text)
    event_id: str | None = None  # when one could be read from the payload
    payload: bytes = Field(sa_type=LargeBinary)


class ViolationPublic(SQLModel):
    event_id: uuid.UUID
    code: str
    reason_zh: str
    reason_en: str
    article: str
    occurred_at: datetime
    terminal_id: str
    site_id: str | None
    guard_id: str | None
    guard_name_zh: str | None
    guard_name_en: str | None = None
    card_kind: str | None = None
    card_uid: str | None = None  # a resident ID card's number: masked for every role but police and administrator


class CheckinPublic(SQLModel):
    event_id: uuid.UUID
    occurred_at: datetime
    terminal_id: str
    site_id: str | None
    guard_id: str | None
    guard_name_zh: str | None
    guard_name_en: str | None
    card_kind: str
    card_uid: str  # a resident ID card's number: masked for every role but police and administrator
    direction: str
    face_status: str
    verify_score: float | None
    decision_code: str
    has_photo: bool
    violations: list[str]
    photo_url: str | None


class ViolationCount(SQLModel):
    site_id: str | None
    site_name_zh: str | None
    code: str
    count: int
    last_at: datetime
