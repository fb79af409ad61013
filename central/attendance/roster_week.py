"""A site's roster by week: who stands which shift on each of seven days, and copying a week forward.

A week runs Monday to Sunday (ISO). Copying a week repeats, for each guard and
shift, the weekdays rostered in that week over the next weeks, creating only
what no assignment covers yet: copying twice changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from central.access.scope import Scope
from central.attendance.roster_edit import is_overnight
from central.attendance.roster_rights import editable_site, guard_filter, readable_site, row_filter
from central.errors import Conflict, Unprocessable
from central.registry.models import Guard, Site
from central.registry.roster import Shift, ShiftAssignment

MAX_COPY_WEEKS = 12


@dataclass(frozen=True, slots=True)
class Cell:
    assignment_id: int
    shift_id: int
    name_zh: str
    name_en: str
    starts: time
    ends: time
    overnight: bool


@dataclass(slots=True)
class WeekRow:
    guard_id: str
    name_zh: str
    name_en: str
    days: list[list[Cell]] = field(default_factory=lambda: [[] for _ in range(7)])


@dataclass(frozen=True, slots=True)
class Week:
    site: Site
    monday: date
    rows: list[WeekRow]

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def covers(row: ShiftAssignment, day: date) -> bool:
    """Whether the assignment rosters its guard on ``day``."""
    in_dates = row.valid_from <= day and (row.valid_to is None or day <= row.valid_to)
    return in_dates and str(day.isoweekday()) in row.weekdays


def _site_rows(
    session: Session, scope: Scope, site: Site, first: date, last: date
) -> list[tuple[ShiftAssignment, Shift, str, str]]:
    """The site's assignments meeting [first, last] that ``scope`` reads, with their shift and guard's names."""
    query = (
        select(ShiftAssignment, Shift, Guard.name_zh, Guard.name_en)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
        .where(
            Shift.site_id == site.id,
            row_filter(scope, site),
            col(ShiftAssignment.valid_from) <= last,
            or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= first),
        )
        .order_by(col(ShiftAssignment.guard_id), col(Shift.starts))
    )
    return [(a, s, zh, en) for a, s, zh, en in session.exec(query).all()]


def assignments_query(scope: Scope, site: Site) -> SelectOfScalar[ShiftAssignment]:
    """The site's assignments ``scope`` reads, by guard and start."""
    return (
        select(ShiftAssignment)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
        .where(Shift.site_id == site.id, row_filter(scope, site))
        .order_by(col(ShiftAssignment.guard_id), col(ShiftAssignment.valid_from), col(ShiftAssignment.id))
    )


def week(session: Session, scope: Scope, site_id: str, day: date) -> Week:
    """The roster of the week holding ``day``: a row per guard rostered that week, a cell list per day."""
    site = readable_site(session, scope, site_id)
    monday = monday_of(day)
    rows: dict[str, WeekRow] = {}
    for assignment, shift, name_zh, name_en in _site_rows(session, scope, site, monday, monday + timedelta(days=6)):
        assert assignment.id is not None
        assert shift.id is not None
        cell = Cell(assignment.id, shift.id, shift.name_zh, shift.name_en, shift.starts, shift.ends,
                    is_overnight(shift))  # fmt: skip
        row = rows.setdefault(assignment.guard_id, WeekRow(assignment.guard_id, name_zh, name_en))
        for index in range(7):
            if covers(assignment, monday + timedelta(days=index)):
                row.days[index].append(cell)
    return Week(site, monday, sorted(rows.values(), key=lambda r: r.guard_id))


def _pattern(rows: list[ShiftAssignment], monday: date) -> dict[tuple[int, str], set[int]]:
    """(shift, guard) -> the ISO weekdays rostered in the week from ``monday``."""
    pattern: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in rows:
        for index in range(7):
            day = monday + timedelta(days=index)
            if covers(row, day):
                pattern[(row.shift_id, row.guard_id)].add(day.isoweekday())
    return pattern


def _missing(existing: list[ShiftAssignment], weekdays: set[int], monday: date) -> str:
    """The weekdays of ``weekdays`` that no existing assignment covers in the week from ``monday``."""
    days = (monday + timedelta(days=d - 1) for d in sorted(weekdays))
    return "".join(str(day.isoweekday()) for day in days if not any(covers(row, day) for row in existing))


def copy_week(session: Session, scope: Scope, site_id: str, day: date, weeks: int) -> list[ShiftAssignment]:
    """Repeat the week holding ``day`` over the next ``weeks`` weeks for the guards ``scope`` may roster.

    Consecutive weeks that need the same weekdays become one assignment. Returns what was created.
    """
    if not 1 <= weeks <= MAX_COPY_WEEKS:
        raise Unprocessable(f"复制周数应为 1-{MAX_COPY_WEEKS} / copy 1 to {MAX_COPY_WEEKS} weeks",
                            code="roster.invalid_weeks")  # fmt: skip
    site = editable_site(session, scope, site_id)
    monday = monday_of(day)
    end = monday + timedelta(days=7 * (weeks + 1) - 1)
    query = (
        select(ShiftAssignment)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
        .where(Shift.site_id == site.id, guard_filter(scope), col(ShiftAssignment.valid_from) <= end,
               or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= monday))
    )  # fmt: skip
    rows = list(session.exec(query).all())
    created: list[ShiftAssignment] = []
    try:
        for (shift_id, guard_id), weekdays in sorted(_pattern(rows, monday).items()):
            same = [r for r in rows if r.shift_id == shift_id and r.guard_id == guard_id]
            created += _fill(session, shift_id, guard_id, same, weekdays, monday, weeks)
        session.commit()
    except IntegrityError as exc:  # an assignment of the same guard and shift starting on that very day
        session.rollback()
        raise Conflict(
            "与已有排班的起始日期冲突 / clashes with an existing assignment's start day", code="roster.conflict"
        ) from exc
    for row in created:
        session.refresh(row)
    return created


def _fill(
    session: Session, shift_id: int, guard_id: str, same: list[ShiftAssignment], weekdays: set[int], monday: date,
    weeks: int,
) -> list[ShiftAssignment]:  # fmt: skip
    """New assignments for the target weeks' uncovered days, one per run of weeks missing the same weekdays."""
    runs: list[tuple[str, date, date]] = []  # (weekdays, first Monday, last Monday)
    for n in range(1, weeks + 1):
        target = monday + timedelta(weeks=n)
        missing = _missing(same, weekdays, target)
        if missing and runs and runs[-1][0] == missing and runs[-1][2] == target - timedelta(weeks=1):
            runs[-1] = (missing, runs[-1][1], target)
        elif missing:
            runs.append((missing, target, target))
    made = []
    for days, first, last in runs:
        start = first + timedelta(days=int(days[0]) - 1)
        row = ShiftAssignment(shift_id=shift_id, guard_id=guard_id, weekdays=days, valid_from=start,
                              valid_to=last + timedelta(days=6))  # fmt: skip
        session.add(row)
        made.append(row)
    session.flush()
    return made
