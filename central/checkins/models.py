"""Check-in records: every tap as received, its violations, and what central could not accept.

A ``Checkin`` row is keyed by the event id minted on the terminal (exactly once
in the database: ``CheckinClaim`` claims the id first); its ``Violation`` rows
are the rules' findings; a payload that could not be read or refused is kept in
``DeadLetter``, never dropped. On PostgreSQL ``checkin`` and ``violation`` are
partitioned by month of ``occurred_at`` (``central.checkins.partitions``); their
primary keys there include ``occurred_at``, as PostgreSQL requires. SQLite keeps
plain tables.
``CheckinPublic``, ``ViolationPublic`` and ``ViolationCount`` are what the
dashboard API sends.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, Connection, Index, LargeBinary, PrimaryKeyConstraint, Table, Text, UniqueConstraint, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler
from sqlmodel import Field, SQLModel

from central.checkins.partitions import PARTITION_BY, PARTITION_KEY, create_partitions
from central.db.types import SealedIdNumber, UtcDateTime, utcnow


class CheckinClaim(SQLModel, table=True):
    """The claim of an event id (table ``checkinevent``): ingest inserts here first; only a new row is written on.

    Unpartitioned, so its key is the event id alone (a key over a partitioned
    table must include the month); look-ups by event id find the month here.
    Alerts and violations refer to it. Its rows go with their check-ins' month.
    """

    __tablename__ = "checkinevent"

    event_id: uuid.UUID = Field(primary_key=True)
    occurred_at: datetime = Field(sa_type=UtcDateTime, index=True)
    # The stored copy's CheckinEvent.content_hash: a copy with another is dead-lettered (None: stored before 0012)
    content_hash: str | None = Field(default=None, max_length=64)


class Checkin(SQLModel, table=True):
    # A site's or a company's taps over a day or a month (revision 0020): the attendance pages' reads.
    __table_args__ = (
        Index("ix_checkin_site_id_occurred_at", "site_id", "occurred_at"),
        Index("ix_checkin_employer_id_occurred_at", "employer_id", "occurred_at"),
        {"postgresql_partition_by": PARTITION_BY},
    )

    # The idempotency key minted on the terminal, claimed in CheckinClaim (PostgreSQL: key (event_id, occurred_at)).
    event_id: uuid.UUID = Field(primary_key=True)
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
        UniqueConstraint("event_id", "code", "occurred_at"),  # a unique key over partitions includes their key
        Index("ix_violation_site_id_occurred_at", "site_id", "occurred_at"),
        {"postgresql_partition_by": PARTITION_BY},
    )

    id: int | None = Field(default=None, primary_key=True)  # on PostgreSQL the key is (id, occurred_at)
    event_id: uuid.UUID = Field(foreign_key="checkinevent.event_id", index=True)
    # The check-in's time and site, copied when the violation is stored (neither ever changes).
    occurred_at: datetime = Field(sa_type=UtcDateTime)
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


@compiles(PrimaryKeyConstraint, "postgresql")
def _primary_key_with_month(constraint: PrimaryKeyConstraint, compiler: DDLCompiler, **kw: Any) -> str:
    """A partitioned table's primary key includes the partition key (``occurred_at``), as PostgreSQL requires.

    The models keep the event id (the violation id) as their identity: it is
    unique anyway, and SQLite's tables keep it as their whole key.
    """
    sql = compiler.visit_primary_key_constraint(constraint, **kw)
    table = constraint.table
    partitioned = isinstance(table, Table) and table.dialect_options["postgresql"].get("partition_by")
    if not partitioned or PARTITION_KEY in constraint.columns or not sql.endswith(")"):
        return sql
    return f"{sql[:-1]}, {PARTITION_KEY})"


def _partitions_of(table: Table, connection: Connection, **_kw: Any) -> None:
    """A new partitioned table gets its DEFAULT partition and the months of ``partitions.AHEAD`` at once."""
    if connection.dialect.name == "postgresql":
        create_partitions(connection, table.name, utcnow())


for _table in (Checkin.__table__, Violation.__table__):  # type: ignore[attr-defined]
    event.listen(_table, "after_create", _partitions_of)
