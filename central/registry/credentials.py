"""Registry tables that hold dates: company licences and filings, cross-region filings, certificates, bars.

The rules judge a tap against the registry as it was on the tap's local day, so
nothing here is overwritten when a status changes: a revocation sets
``revoked_on`` on the certificate, a blacklisting adds a ``GuardBar`` row with
its start, a lapsed licence keeps its ``valid_to``. Every interval is in local
calendar days at the site, ``valid_to`` inclusive, ``revoked_on`` effective
from that day on. ``central.registry.snapshot`` reads them as of a day.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central.db.types import enum_column


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
    kind: CredentialKind = Field(sa_type=enum_column())
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
    kind: BarKind = Field(sa_type=enum_column())
    reason: str = ""
    valid_from: date
    valid_to: date | None = None  # None: still barred
