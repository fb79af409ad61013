"""What the attendance API sends besides its rows (``rules.AttendanceRow``): who is on duty now, a month's calendar."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel


class OnDutyRow(SQLModel):
    """One guard seen at a site today: on duty when the last tap was in."""

    guard_id: str | None
    guard_name_zh: str | None
    guard_name_en: str | None
    first_in: datetime | None
    last_tap: datetime
    last_direction: str
    on_duty: bool
    taps: int
    violations: int
    last_event_id: uuid.UUID
    codes: list[str] = Field(default_factory=list)  # the rules the day's taps broke, each once


class CalendarDay(SQLModel):
    day: date
    guards: int
    taps: int
    violations: int
