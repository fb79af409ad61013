"""Leave (请假) and missed-tap corrections (补卡): filed by one side, approved by the other, never edited after.

A leave excuses a guard's rostered duties at one site on a range of days (one
shift, or every shift); a correction stands for a tap the guard did not make
(a card forgotten, a reader down) at a stated time and direction. Only
approved requests change attendance; the record keeps who filed and who
decided, and when.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, enum_column, utcnow


class RequestKind(StrEnum):
    LEAVE = "leave"  # 请假
    CORRECTION = "correction"  # 补卡


class RequestStatus(StrEnum):
    PENDING = "pending"  # 待审批
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回
    WITHDRAWN = "withdrawn"  # 已撤回 (by the side that filed it, before a decision)


class LeaveKind(StrEnum):
    PERSONAL = "personal"  # 事假
    SICK = "sick"  # 病假
    ANNUAL = "annual"  # 年假
    COMPENSATORY = "compensatory"  # 调休
    OTHER = "other"  # 其他


class AttendanceRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: RequestKind = Field(sa_type=enum_column())
    guard_id: str = Field(foreign_key="guard.id", index=True, max_length=32)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=32)
    company_id: str | None = Field(default=None, index=True, max_length=32)  # the guard's employer when filed
    shift_id: int | None = Field(default=None, foreign_key="shift.id")  # None: every shift of those days
    first_day: date  # local days at the site; a correction's day is its duty's day
    last_day: date
    leave_kind: LeaveKind | None = Field(default=None, sa_type=enum_column())
    direction: str | None = Field(default=None, max_length=3)  # a correction's tap: "in" | "out"
    at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # a correction's tap time
    reason: str = Field(default="", max_length=500)
    status: RequestStatus = Field(default=RequestStatus.PENDING, sa_type=enum_column(), index=True)
    requested_by: str = Field(max_length=64)
    requested_role: str = Field(max_length=16)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_role: str | None = Field(default=None, max_length=16)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_note: str = Field(default="", max_length=500)
