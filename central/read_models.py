"""Public read models of the dashboard API: what each audience is sent, ID numbers already masked.

The record tables' own public models (``AttendancePublic``, ``ViolationPublic``,
``AlertPublic``) live in ``central.models``; these are the views built on them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import SQLModel

from central.models import AlertPublic


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


class CalendarDay(SQLModel):
    day: date
    guards: int
    taps: int
    violations: int


class AlertActionPublic(SQLModel):
    status: str
    actor: str
    at: datetime
    note: str


class WatchlistPublic(SQLModel):
    id: str
    name_zh: str
    name_en: str
    id_number: str | None
    jurisdiction: str
    notes: str
    photo_url: str | None


class AlertDetail(AlertPublic):
    """An alert as the police page shows it: site, watchlist entry and who decided what, when."""

    site_name_zh: str | None
    site_name_en: str | None
    site_timezone: str
    changed_at: datetime  # of the latest change (creation or status): the live stream's resume point
    watchlist: WatchlistPublic | None
    actions: list[AlertActionPublic]


class ViolationCount(SQLModel):
    site_id: str | None
    site_name_zh: str | None
    code: str
    count: int
    last_at: datetime
