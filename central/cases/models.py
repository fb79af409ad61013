"""A case (案件) opened on a violation, and each step of it with who and when.

The regulator (police or administrator) opens a case on a violation (or the
daily registry check opens one on a finding), orders a
correction (整改) with a deadline, and closes or reopens it after the company's
answer; the company (the guard's employer at the tap) or the property firm
managing the site answers with text and, if it likes, one attachment. Nothing
of a step is ever changed afterwards.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, enum_column, utcnow


class CaseStatus(StrEnum):
    OPEN = "open"  # opened, no correction ordered yet
    ORDERED = "ordered"  # 整改中: a correction ordered, the company's answer awaited
    ANSWERED = "answered"  # the company answered: the regulator closes or reopens
    CLOSED = "closed"


class CaseAction(StrEnum):
    OPEN = "open"
    ORDER = "order"
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"


class Case(SQLModel, table=True):
    __tablename__ = "violationcase"  # "case" is an SQL keyword

    id: int | None = Field(default=None, primary_key=True)
    # One case per violation; None for a case the daily registry check opened on a finding. No foreign key: a
    # violation's key on PostgreSQL includes its month, and the case keeps what it needs of it (code, reasons).
    violation_id: int | None = Field(default=None, unique=True)
    # The registry finding (central.compliance.follow_up) a case was opened on: one open case per key.
    finding_key: str | None = Field(default=None, max_length=200, index=True)
    code: str = Field(max_length=40)  # the violation's rule
    reason_zh: str
    reason_en: str
    company_id: str | None = Field(default=None, index=True)  # who answers: the employer at the tap
    site_id: str | None = Field(default=None, index=True)
    guard_id: str | None = Field(default=None, max_length=32)
    jurisdiction: str = Field(max_length=32, index=True)  # the police of the site
    status: CaseStatus = Field(default=CaseStatus.OPEN, sa_type=enum_column())
    deadline: date | None = None  # of the correction ordered last
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CaseStep(SQLModel, table=True):
    __tablename__ = "violationcasestep"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="violationcase.id", index=True)
    action: CaseAction = Field(sa_type=enum_column())
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    note: str = Field(default="", max_length=2000)
    deadline: date | None = None
    attachment_name: str | None = Field(default=None, max_length=200)
    attachment_type: str | None = Field(default=None, max_length=100)
    attachment: bytes | None = Field(default=None, sa_type=LargeBinary)
