"""SQLModel tables of central (registry and records) and their public read models.

All timestamps are aware UTC in Python. SQLite keeps no offset, so ``UtcDateTime``
stores naive UTC there and re-attaches UTC on read; PostgreSQL uses timestamptz.
Enumerations are stored as short strings, not database enums, so that adding a
value needs no migration.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, LargeBinary, String, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

from central.id_protect import SealedIdNumber, hash_default, track_lookup_hash


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both SQLite and PostgreSQL; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class CompanyKind(StrEnum):
    SECURITY_COMPANY = "security_company"  # 保安服务公司, needs a 保安服务许可证 (条例 9)
    SELF_RECRUITING = "self_recruiting"  # 自行招用保安员的单位, needs 备案 (条例 14)


class SiteKind(StrEnum):
    RESIDENTIAL = "residential"
    OFFICE = "office"
    ENTERTAINMENT = "entertainment"  # 娱乐场所: licensed security company only (条例 13)
    SCHOOL = "school"
    HOSPITAL = "hospital"
    OTHER = "other"


class CertStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    NONE = "none"


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    FALSE_POSITIVE = "false_positive"


def _enum_col() -> Any:
    return String(24)


# --- registry ---------------------------------------------------------------------------


class Company(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    kind: CompanyKind = Field(sa_type=_enum_col())
    # Administrative division code where licensed / filed; its first two digits are the
    # province, the unit of 条例 23's cross-region filing. Licences and filings, with
    # their validity, are in central.registry_models.CompanyCredential.
    region: str = Field(max_length=12)


class Site(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    kind: SiteKind = Field(sa_type=_enum_col())
    address: str = ""
    region: str = Field(max_length=12)
    jurisdiction: str = Field(max_length=32)  # police station code, e.g. 110105-WJ
    # A self-recruiting unit's own premises / managed property area.
    managed_by: str | None = Field(default=None, foreign_key="company.id")
    timezone: str = "Asia/Shanghai"


class Guard(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    # Sealed at rest (central.id_protect); unique and looked up by its keyed hash.
    id_number: str = Field(max_length=18, sa_type=SealedIdNumber)
    id_number_hash: str | None = Field(
        default=None, max_length=64, nullable=False, unique=True, index=True, sa_column_kwargs={"default": hash_default}
    )
    employer_id: str | None = Field(default=None, foreign_key="company.id")
    level: int = Field(default=5, ge=1, le=5)  # 职业等级: 5 = 五级/初级 ... 1 = 一级/高级技师
    # 保安员证 and background-check / blacklist status change over time: they are kept
    # with their dates in central.registry_models (Certificate, GuardBar).


class Card(SQLModel, table=True):
    uid: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)  # protocol.checkin.CardKind value
    guard_id: str = Field(foreign_key="guard.id", index=True)


class ServiceContract(SQLModel, table=True):
    """Kept at least two years after it ends (条例 21); never deleted by the registry API."""

    __table_args__ = (UniqueConstraint("company_id", "site_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    valid_from: date
    valid_to: date  # inclusive
    contract_number: str | None = None


class Shift(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "name_zh"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    post_id: str | None = Field(default=None, foreign_key="post.id")
    name_zh: str
    name_en: str = ""
    starts: time  # local time in the site's zone
    ends: time  # not later than starts: the shift ends the next day (attributed to its start day)
    late_grace_min: int = Field(default=5, ge=0, le=240)  # a first tap in later than this is late
    early_grace_min: int = Field(default=5, ge=0, le=240)  # a last tap out earlier than this is early


class Terminal(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True)
    post_id: str | None = Field(default=None, foreign_key="post.id")  # its post's min_level applies
    post_name_zh: str = ""
    post_name_en: str = ""
    min_level: int | None = Field(default=None, ge=1, le=5)  # the post needs this level or better
    # Last status message from the terminal.
    online: bool | None = None
    last_seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # central's clock, any message
    outbox_depth: int | None = None
    oldest_pending_s: float | None = None  # age of the oldest event the terminal still holds
    software_version: str | None = None
    watchlist_version: str | None = None
    # The terminal's own word on its list: None when current, else needs_full / behind / too_old.
    watchlist_stale: str | None = Field(default=None, max_length=16)


class WatchlistEntry(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    id_number: str | None = Field(default=None, max_length=18, sa_type=SealedIdNumber)  # sealed at rest
    id_number_hash: str | None = Field(
        default=None, max_length=64, index=True, sa_column_kwargs={"default": hash_default}
    )
    jurisdiction: str = Field(max_length=32)
    notes: str = ""


track_lookup_hash(Guard)
track_lookup_hash(WatchlistEntry)


# --- records ----------------------------------------------------------------------------


class Checkin(SQLModel, table=True):
    event_id: uuid.UUID = Field(primary_key=True)  # idempotency key minted on the terminal
    terminal_id: str = Field(max_length=64, index=True)  # no FK: unknown terminals are still recorded
    seq: int
    occurred_at: datetime = Field(sa_type=UtcDateTime, index=True)
    received_at: datetime = Field(sa_type=UtcDateTime)
    site_id: str | None = Field(default=None, foreign_key="site.id", index=True)
    guard_id: str | None = Field(default=None, foreign_key="guard.id", index=True)
    card_kind: str = Field(max_length=16)
    card_uid: str = Field(max_length=64)  # a resident ID card's number masked: it is sealed in the next column
    card_id_number: str | None = Field(default=None, max_length=18, sa_type=SealedIdNumber)  # central.checkin_ids
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
    # The event as received, photo bytes elided (they are in the file), an ID card's number sealed.
    raw_event: str = Field(sa_type=Text)


class Violation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: uuid.UUID = Field(foreign_key="checkin.event_id", index=True)
    code: str = Field(max_length=40)
    reason_zh: str
    reason_en: str
    article: str


class Alert(SQLModel, table=True):
    alert_id: uuid.UUID = Field(primary_key=True, foreign_key="checkin.event_id")  # = event_id
    watchlist_entry_id: str = Field(max_length=32)  # the terminal's list may be newer than ours: no FK
    watchlist_name: str | None = None
    score: float
    matched_by: str = Field(max_length=16)
    terminal_id: str = Field(max_length=64)
    site_id: str | None = Field(default=None, foreign_key="site.id")
    jurisdiction: str = Field(max_length=32, index=True)
    status: AlertStatus = Field(default=AlertStatus.NEW, sa_type=_enum_col())
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status_changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class DeadLetter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    topic: str
    reason: str = Field(sa_type=Text)
    event_id: str | None = None  # when one could be read from the payload
    payload: bytes = Field(sa_type=LargeBinary)


# --- public read models -----------------------------------------------------------------


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
    card_kind: str | None = None
    card_uid: str | None = None  # a resident ID card's number: masked for every role but police and administrator


class AlertPublic(SQLModel):
    alert_id: uuid.UUID
    watchlist_entry_id: str
    watchlist_name: str | None
    score: float
    matched_by: str
    terminal_id: str
    site_id: str | None
    jurisdiction: str
    status: AlertStatus
    occurred_at: datetime
    created_at: datetime
    photo_url: str


class AttendancePublic(SQLModel):
    """One guard's duty (a rostered shift) or unrostered taps at one site on one local day.

    A rostered shift is attributed to the day it starts, also when it ends after
    midnight. ``shift_id`` is None for taps outside any rostered shift.
    """

    guard_id: str | None  # None: taps of unregistered cards
    guard_name_zh: str | None
    guard_name_en: str | None
    first_in: datetime | None
    last_out: datetime | None
    taps: int  # repeated taps within the fold window count once
    violations: int
    site_id: str | None = None
    day: date | None = None
    shift_id: int | None = None
    shift_name_zh: str | None = None
    shift_name_en: str | None = None
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    late: bool = False
    late_minutes: int = 0
    early_leave: bool = False
    early_minutes: int = 0
    absent: bool = False  # rostered, and no tap that shows the guard's own presence
    worked_minutes: int = 0  # from first tap in (or shift start, if earlier) to last tap out, within the shift


class HealthPublic(SQLModel):
    status: str  # ok | degraded
    database: bool
    mqtt: bool | None  # None when ingest is not running in this process
