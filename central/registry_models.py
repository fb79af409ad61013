"""Registry tables that hold dates: credentials, bars and filings over time, posts and the roster.

The rules judge a tap against the registry as it was on the tap's local day, so
nothing here is overwritten when a status changes: a revocation sets
``revoked_on`` on the certificate, a blacklisting adds a ``GuardBar`` row with
its start, a lapsed licence keeps its ``valid_to``. Every interval is in local
calendar days at the site, ``valid_to`` inclusive, ``revoked_on`` effective
from that day on. ``central.registry`` reads them as of a day.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central.models import _enum_col


class CredentialKind(StrEnum):
    LICENCE = "licence"  # 保安服务许可证 of a security company (条例 9)
    FILING = "filing"  # 备案 of a self-recruiting unit (条例 14)


class BarKind(StrEnum):
    BACKGROUND_CHECK = "background_check"  # 背景审查不合格 (条例 17 grounds)
    BLACKLIST = "blacklist"  # 黑名单


class CompanyCredential(SQLModel, table=True):
    """A licence or a filing of a company, with the days it was in force."""

    __table_args__ = (UniqueConstraint("company_id", "kind", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    kind: CredentialKind = Field(sa_type=_enum_col())
    number: str = Field(max_length=64)
    valid_from: date
    valid_to: date | None = None  # None: no end date
    revoked_on: date | None = None


class CrossRegionFiling(SQLModel, table=True):
    """跨区域经营备案 (条例 23): a security company may serve sites under ``region``.

    ``region`` is a division-code prefix: ``33`` covers the province, ``3301`` one city.
    """

    __table_args__ = (UniqueConstraint("company_id", "region", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="company.id", index=True)
    region: str = Field(max_length=12)
    number: str | None = Field(default=None, max_length=64)
    valid_from: date
    valid_to: date | None = None


class Certificate(SQLModel, table=True):
    """A 保安员证. It has no end date by law; it ends only by revocation (条例 45)."""

    number: str = Field(primary_key=True, max_length=64)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    issued_on: date
    revoked_on: date | None = None
    revoke_reason: str | None = None


class GuardBar(SQLModel, table=True):
    """A failed background check or a blacklisting, from ``valid_from`` until lifted."""

    __table_args__ = (UniqueConstraint("guard_id", "kind", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    kind: BarKind = Field(sa_type=_enum_col())
    reason: str = ""
    valid_from: date
    valid_to: date | None = None  # None: still barred


class Post(SQLModel, table=True):
    """A post (岗位) at a site; ``min_level`` is the guard level it needs (1 highest, 5 lowest)."""

    id: str = Field(primary_key=True, max_length=32)
    site_id: str = Field(foreign_key="site.id", index=True)
    name_zh: str
    name_en: str = ""
    min_level: int | None = Field(default=None, ge=1, le=5)


class ShiftAssignment(SQLModel, table=True):
    """A guard rostered on a shift on the given weekdays between two dates.

    A rostered day with no tap of the guard's own is an absence.
    """

    __table_args__ = (UniqueConstraint("shift_id", "guard_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    valid_from: date
    valid_to: date | None = None
    weekdays: str = Field(default="1234567", max_length=7, regex=r"^[1-7]{1,7}$")  # ISO: 1 = Monday
