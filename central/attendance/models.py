"""What the attendance API sends: a guard's duty on a day, who is on duty now, a month's calendar."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel


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
    absent: bool = False  # rostered, no tap that shows the guard's own presence, and no approved leave
    on_leave: bool = False  # an approved leave (请假) excuses the duty
    leave_kind: str | None = None  # personal | sick | annual | compensatory | other
    corrected: bool = False  # an approved missed-tap correction (补卡) counts among the taps
    worked_minutes: int = 0  # from first tap in (or shift start, if earlier) to last tap out, within the shift
    last_in: datetime | None = None  # the latest tap in: after the last out, the guard is on post again
    due_by: datetime | None = None  # shift start and the late grace: not there by then is 未到


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
