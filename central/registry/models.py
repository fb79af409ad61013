"""Registry tables: companies, sites, guards, their cards, service contracts, terminals.

What a tap is judged against. Credentials that change over time are kept with
their dates in ``central.registry.credentials``; posts, shifts and the roster in
``central.registry.roster``. ``SitePublic`` and ``GuardPublic`` are what the
dashboard API sends (ID numbers already masked for the asker).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central.db.types import SealedIdNumber, UtcDateTime, enum_column, hash_default, track_lookup_hash
from central.registry.guard_search import index_guards
from protocol.id_number import check as check_id_number


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


class Company(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    kind: CompanyKind = Field(sa_type=enum_column())
    # Administrative division code where licensed / filed; its first two digits are the
    # province, the unit of 条例 23's cross-region filing. Licences and filings, with
    # their validity, are in central.registry.credentials.CompanyCredential.
    region: str = Field(max_length=12)


class Site(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    kind: SiteKind = Field(sa_type=enum_column())
    address: str = ""
    region: str = Field(max_length=12)
    jurisdiction: str = Field(max_length=32)  # police station code, e.g. 110105-WJ
    # A self-recruiting unit's own premises / managed property area.
    managed_by: str | None = Field(default=None, foreign_key="company.id")
    timezone: str = "Asia/Shanghai"
    # The check at a tap: card + face, card + fingerprint, or card + either (docs/fingerprint.md).
    check_policy: str = Field(default="face", max_length=16, regex=r"^(face|fingerprint|either)$")
    # WGS-84 degrees (as a phone's GPS gives them), both or neither: the police alert card's map link.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Guard(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    # Sealed at rest (central.db.sealing); unique and looked up by its keyed hash.
    id_number: str = Field(max_length=18, sa_type=SealedIdNumber)
    id_number_hash: str | None = Field(
        default=None, max_length=64, nullable=False, unique=True, index=True, sa_column_kwargs={"default": hash_default}
    )
    employer_id: str | None = Field(default=None, foreign_key="company.id")
    level: int = Field(default=5, ge=1, le=5)  # 职业等级: 5 = 五级/初级 ... 1 = 一级/高级技师

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str) -> str:
        return check_id_number(value)  # run wherever a guard is validated: import, admin API, seed


index_guards(Guard.__table__)  # type: ignore[attr-defined]  # the search's index on PostgreSQL


class Card(SQLModel, table=True):
    """A card of record (central.registry.cards): its canonical number, technology, and current holder."""

    uid: str = Field(primary_key=True, max_length=64)  # canonical: em4100:67003B51C6, iso14443a:B0864D25
    kind: str = Field(max_length=16)  # protocol.cards.CardTech value
    guard_id: str | None = Field(default=None, foreign_key="guard.id", index=True)  # None: returned, not reissued
    printed: str = Field(default="", max_length=64)  # the number as it was registered (e.g. the printed decimal)


class ServiceContract(SQLModel, table=True):
    """Kept at least two years after it ends (条例 21); never deleted by the registry API."""

    __table_args__ = (UniqueConstraint("company_id", "site_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    valid_from: date
    valid_to: date  # inclusive
    contract_number: str | None = None


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
    # Settings central sends the terminal with its roster (None: the terminal's own configuration).
    verify_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    watchlist_threshold: float | None = Field(default=None, ge=0.3, le=1.0)
    repeat_window_s: float | None = Field(default=None, ge=0.0, le=600.0)
    # The terminal's clock minus central's when its last status arrived (seconds; latency included).
    clock_offset_s: float | None = None
    roster_version: str | None = Field(default=None, max_length=64)
    # None when current, else needs_full / too_old / refused (an update that did not verify)
    roster_stale: str | None = Field(default=None, max_length=16)


track_lookup_hash(Guard)


class SitePublic(SQLModel):
    id: str
    name_zh: str
    name_en: str
    kind: str
    jurisdiction: str
    timezone: str


class GuardPublic(SQLModel):
    id: str
    name_zh: str
    name_en: str
    id_number: str  # masked for every role but police and administrator
    employer_id: str | None
    level: int
