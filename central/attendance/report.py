"""Attendance from the database: the roster expanded into duties, the taps, and the report rows.

The API layer calls ``day_report`` and ``report`` with explicit filters (its
tenant scoping decides which site and guard ids a caller may see); the rules
of attendance themselves are pure, in ``central.attendance.rules``. Days are
local days at each site.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import case, func
from sqlmodel import Session, col, or_, select

from central.attendance.approved import correction_taps, excuse, load_approved
from central.attendance.rules import (
    EARLY_WINDOW,
    FOLD_WINDOW,
    LATE_WINDOW,
    AttendanceRow,
    Duty,
    Tap,
    fold,
    local_day_bounds,
    rows,
    shift_bounds,
    summarise,
)
from central.checkins.models import Checkin, Violation
from central.registry.employment import Employment, employer_on, employments
from central.registry.models import Guard, Site
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import DEFAULT_ZONE

__all__ = [
    "EARLY_WINDOW",
    "FOLD_WINDOW",
    "LATE_WINDOW",
    "AttendanceRow",
    "Duty",
    "Tap",
    "day_report",
    "fold",
    "load_duties",
    "load_taps",
    "local_day_bounds",
    "report",
    "summarise",
]


class _Filter(TypedDict):
    """What ``load_duties`` and ``load_approved`` both read: these sites, guards, employer and days."""

    site_ids: Collection[str] | None
    guard_ids: Collection[str] | None
    employer_id: str | None
    first: date
    last: date


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _plain(session: Session, query: Any) -> Sequence[Any]:
    """The rows of ``query`` without the ORM's row loading (a month is over a hundred thousand rows), the
    session's pending changes flushed first as ``session.exec`` does."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(query).all()


class _Rostered(NamedTuple):
    """An assignment's columns, its shift's, its site's zone and the guard's that a duty needs: read as
    columns, not entities (the guard's sealed ID number would be opened for nothing)."""

    valid_from: date
    valid_to: date | None
    weekdays: str
    shift_id: int
    shift_name_zh: str
    shift_name_en: str
    starts: time
    ends: time
    late_grace_min: int
    early_grace_min: int
    site_id: str
    timezone: str
    guard_id: str
    name_zh: str
    name_en: str
    employer_id: str | None


def _duties(rostered: _Rostered, first: date, last: date) -> list[Duty]:
    r = rostered
    start = max(first, r.valid_from)
    end = min(last, r.valid_to) if r.valid_to else last
    # The same names and graces on each day, its day and times filled in: a month has thousands of duties.
    fixed = (r.site_id, r.guard_id, r.name_zh, r.name_en)
    named = (r.shift_id, r.shift_name_zh, r.shift_name_en)
    graces = (timedelta(minutes=r.late_grace_min), timedelta(minutes=r.early_grace_min))
    duties = []
    for day in _days(start, end):
        if str(day.isoweekday()) in r.weekdays:
            begins, finishes = shift_bounds(day, r.starts, r.ends, r.timezone)
            duties.append(Duty(*fixed, day, *named, begins, finishes, *graces))
    return duties


def load_duties(
    session: Session,
    *,
    site_ids: Collection[str] | None,
    guard_ids: Collection[str] | None,
    first: date,
    last: date,
    employer_id: str | None = None,
) -> list[Duty]:
    """The rostered duties starting on the days ``first``..``last`` (None: no filter on that key).

    ``employer_id``: only the duties of days on which the guard was that company's.
    """
    query: Any = (
        select(  # type: ignore[call-overload]
            ShiftAssignment.valid_from, ShiftAssignment.valid_to, ShiftAssignment.weekdays, Shift.id,
            Shift.name_zh, Shift.name_en, Shift.starts, Shift.ends, Shift.late_grace_min, Shift.early_grace_min,
            Site.id, Site.timezone, Guard.id, Guard.name_zh, Guard.name_en, Guard.employer_id,
        )
        .select_from(ShiftAssignment)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .join(Site, col(Site.id) == col(Shift.site_id))
        .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
        .where(
            col(ShiftAssignment.valid_from) <= last,
            or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= first),
        )
    )  # fmt: skip
    if site_ids is not None:
        query = query.where(col(Shift.site_id).in_(site_ids))
    if guard_ids is not None:
        query = query.where(col(ShiftAssignment.guard_id).in_(guard_ids))
    if employer_id is not None:  # its guards now, or once: each day is checked against the history below
        once = select(Employment.guard_id).where(Employment.company_id == employer_id)
        query = query.where(or_(col(Guard.employer_id) == employer_id, col(Guard.id).in_(once)))
    found = [_Rostered(*row) for row in _plain(session, query)]
    history = employments(session, {r.guard_id for r in found}) if employer_id else {}
    duties: list[Duty] = []
    for rostered in found:
        for duty in _duties(rostered, first, last):
            if (
                employer_id is None
                or employer_on(history.get(rostered.guard_id, []), duty.day, rostered.employer_id) == employer_id
            ):
                duties.append(duty)
    return duties


# Taps central judged to be someone else's: counted, never the card holder's presence.
NOT_THE_HOLDER = ("FACE_MISMATCH", "FINGERPRINT_MISMATCH")


def _face_mismatch(score: float | None, threshold: float | None) -> bool:
    return score is not None and threshold is not None and score < threshold


def load_taps(
    session: Session,
    *,
    site_ids: Collection[str] | None,
    guard_ids: Collection[str] | None,
    start: datetime,
    end: datetime,
    employer_id: str | None = None,
) -> list[Tap]:
    """Every tap in [start, end) with its violation count (None: no filter on that key).

    ``employer_id``: only taps of that company's guards, by the employer of the day of the tap.
    """
    # Only the violations of the same sites and times are grouped (they carry their check-in's), not the
    # whole table on every read.
    impostor = case((col(Violation.code).in_(NOT_THE_HOLDER), 1), else_=0)
    counted = select(Violation.event_id, func.count().label("n"), func.sum(impostor).label("impostor")).where(
        col(Violation.occurred_at) >= start, col(Violation.occurred_at) < end
    )
    if site_ids is not None:
        counted = counted.where(col(Violation.site_id).in_(site_ids))
    counts = counted.group_by(col(Violation.event_id)).subquery()
    # Columns, not entities: a month's report reads tens of thousands of taps (ten columns: more
    # than sqlmodel's typed overloads spell out).
    query: Any = (
        select(  # type: ignore[call-overload]
            Checkin.guard_id,
            Guard.name_zh,
            Guard.name_en,
            Checkin.occurred_at,
            Checkin.direction,
            Checkin.verify_score,
            Checkin.verify_threshold,
            Checkin.site_id,
            counts.c.n,
            counts.c.impostor,
        )
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .join(counts, counts.c.event_id == col(Checkin.event_id), isouter=True)
        .where(col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
    )
    if site_ids is not None:
        query = query.where(col(Checkin.site_id).in_(site_ids))
    if guard_ids is not None:
        query = query.where(col(Checkin.guard_id).in_(guard_ids))
    if employer_id is not None:
        query = query.where(col(Checkin.employer_id) == employer_id)
    # Read as plain rows (not through the ORM's row loading), a Tap made per row by position: a station's
    # month is over a hundred thousand taps.
    return [
        Tap(guard_id, name_zh, name_en, occurred_at, direction, n or 0,
            _face_mismatch(score, threshold) or bool(impostor), site_id)
        for guard_id, name_zh, name_en, occurred_at, direction, score, threshold, site_id, n, impostor
        in _plain(session, query)
    ]  # fmt: skip


def _zones(session: Session, site_ids: Collection[str] | None) -> dict[str, str]:
    query = select(Site.id, Site.timezone)
    if site_ids is not None:
        query = query.where(col(Site.id).in_(site_ids))
    return dict(session.exec(query).all())


# Beyond the window's edges: runs of repeated taps (``FOLD_WINDOW`` apart) that cross them are read whole.
TAP_MARGIN = timedelta(hours=1)


def tap_window(duties: Collection[Duty], zones: dict[str, str], first: date, last: date) -> tuple[datetime, datetime]:
    """The taps the rows of ``first``..``last`` can hold: those of these local days at each site (unrostered
    rows), and those within the early and late windows of these days' duties (the neighbouring days' duties
    claim only taps of their own windows, and a tap is matched to the duties whose windows hold it)."""
    lows, highs = [], []
    for zone in {*zones.values(), DEFAULT_ZONE}:
        lows.append(local_day_bounds(first, zone)[0])
        highs.append(local_day_bounds(last, zone)[1])
    for duty in duties:
        if first <= duty.day <= last:
            lows.append(duty.start - EARLY_WINDOW)
            highs.append(duty.end + LATE_WINDOW)
    return min(lows) - TAP_MARGIN, max(highs) + TAP_MARGIN


def report(
    session: Session,
    *,
    site_ids: Collection[str] | None = None,
    guard_ids: Collection[str] | None = None,
    employer_id: str | None = None,
    first: date,
    last: date,
) -> list[AttendanceRow]:
    """Attendance rows for the local days ``first``..``last``: one per duty, one per unrostered guard-day.

    ``site_ids`` / ``guard_ids`` restrict the sites and guards (None: all),
    ``employer_id`` the guards to that company's on each day. A
    duty that starts on ``last`` and ends the next morning is included whole;
    one that started the day before ``first`` is not.
    """
    if last < first:
        raise ValueError(f"结束日期早于开始日期 / last day {last} is before first day {first}")
    # Neighbouring days' duties claim their own taps near midnight; only ours are reported.
    days: _Filter = {"site_ids": site_ids, "guard_ids": guard_ids, "employer_id": employer_id,
            "first": first - timedelta(1), "last": last + timedelta(1)}  # fmt: skip
    # Approved leave excuses duties and approved corrections stand for taps (central.attendance.approved).
    approved = load_approved(session, **days)
    duties = excuse(load_duties(session, **days), approved)
    zones = _zones(session, site_ids)
    start, end = tap_window(duties, zones, first, last)
    taps = load_taps(session, site_ids=site_ids, guard_ids=guard_ids, start=start, end=end, employer_id=employer_id)
    taps += correction_taps(session, approved)
    result = rows(duties, taps, zones, DEFAULT_ZONE, (first, last))
    return [row for row in result if row.day is not None and first <= row.day <= last]


def day_report(
    session: Session, site_ids: Collection[str] | None, day: date, employer_id: str | None = None
) -> list[AttendanceRow]:
    """Attendance rows for one local day (see ``report``)."""
    return report(session, site_ids=site_ids, employer_id=employer_id, first=day, last=day)
