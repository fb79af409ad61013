"""Writing a site's roster within an account's rights: shift templates and weekly assignments.

Every input is checked here with a reason in Chinese and English (a time as
HH:MM, weekdays as ISO digits 1-7, dates in order, a post of the same site),
so that the pages and the API refuse the same things in the same words. The
caller commits nothing: each function commits its own change, and the caller
writes the audit entry and wakes the terminal rosters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from central.access.models import Role
from central.access.scope import Scope
from central.attendance.roster_rights import editable_site, readable_site, rosterable_guard, row_filter
from central.db.types import utcnow
from central.errors import Conflict, Forbidden, NotFound, Unprocessable
from central.registry.local_time import local_date
from central.registry.models import Guard
from central.registry.roster import Post, Shift, ShiftAssignment

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_NAME_MAX = 64
GRACE_MAX = 240


@dataclass(frozen=True, slots=True)
class ShiftForm:
    name_zh: str
    starts: str  # HH:MM, the site's local time
    ends: str  # HH:MM; not later than starts: the shift ends the next day
    name_en: str = ""
    post_id: str | None = None
    late_grace_min: int = 5
    early_grace_min: int = 5


@dataclass(frozen=True, slots=True)
class AssignmentForm:
    shift_id: int
    guard_id: str
    weekdays: str  # ISO digits, 1 = Monday
    valid_from: date
    valid_to: date | None = None


def parse_hhmm(value: str, field_zh: str, field_en: str) -> time:
    match = _HHMM.match(value.strip())
    if match is None:
        raise Unprocessable(
            f"{field_zh}应为 时:分（如 08:00）/ {field_en} must be HH:MM (e.g. 08:00)", code="roster.invalid_time"
        )
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekdays(value: str) -> str:
    """``"135"``, ``"1,3,5"`` or ``"5 3 1"`` -> ``"135"``; anything but ISO weekday digits is refused."""
    digits = re.sub(r"[\s,，、]", "", value)
    if not digits or not all(c in "1234567" for c in digits):
        raise Unprocessable(
            "星期应为 1-7 的数字（1 为星期一），如 12345 / weekdays must be ISO digits 1-7 (1 = Monday), e.g. 12345",
            code="roster.invalid_weekdays",
        )
    return "".join(sorted(set(digits)))


def is_overnight(shift: Shift) -> bool:
    """Ends at or before it starts: the shift runs into the next day (次日)."""
    return shift.ends <= shift.starts


def _shift_values(session: Session, site_id: str, form: ShiftForm) -> dict[str, object]:
    name_zh, name_en = form.name_zh.strip(), form.name_en.strip()
    if not name_zh or len(name_zh) > _NAME_MAX or len(name_en) > _NAME_MAX:
        raise Unprocessable(f"班次名称应为 1-{_NAME_MAX} 个字 / a shift needs a name of 1-{_NAME_MAX} characters",
                            code="roster.invalid_name")  # fmt: skip
    for grace in (form.late_grace_min, form.early_grace_min):
        if not 0 <= grace <= GRACE_MAX:
            raise Unprocessable(f"宽限分钟应在 0-{GRACE_MAX} 之间 / grace minutes must be 0-{GRACE_MAX}",
                                code="roster.invalid_grace")  # fmt: skip
    post_id = (form.post_id or "").strip() or None
    if post_id is not None:
        post = session.get(Post, post_id)
        if post is None or post.site_id != site_id:
            raise Unprocessable("本场所无此岗位 / no such post at this site", code="roster.invalid_post")
    return {
        "name_zh": name_zh, "name_en": name_en, "post_id": post_id,
        "starts": parse_hhmm(form.starts, "开始时间", "starts"), "ends": parse_hhmm(form.ends, "结束时间", "ends"),
        "late_grace_min": form.late_grace_min, "early_grace_min": form.early_grace_min,
    }  # fmt: skip


def _commit(session: Session, why_zh: str, why_en: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"{why_zh} / {why_en}", code="roster.conflict") from exc


def list_shifts(session: Session, scope: Scope, site_id: str) -> list[Shift]:
    site = readable_site(session, scope, site_id)
    return list(session.exec(select(Shift).where(Shift.site_id == site.id).order_by(col(Shift.starts))).all())


def create_shift(session: Session, scope: Scope, site_id: str, form: ShiftForm) -> Shift:
    site = editable_site(session, scope, site_id)
    shift = Shift(site_id=site.id, **_shift_values(session, site.id, form))  # type: ignore[arg-type]
    session.add(shift)
    _commit(session, "本场所已有同名班次", "the site already has a shift of that name")
    session.refresh(shift)
    return shift


def editable_shift(session: Session, scope: Scope, shift_id: int) -> Shift:
    """The shift, if ``scope`` may change it: its site is writable, and no other employer's guard is on it."""
    shift = session.get(Shift, shift_id)
    if shift is None or not _sees_site(session, scope, shift.site_id):
        raise NotFound("shift")
    editable_site(session, scope, shift.site_id)
    if scope.role is not Role.ADMIN:
        others = (
            select(func.count())
            .select_from(ShiftAssignment)
            .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
            .where(ShiftAssignment.shift_id == shift_id, or_(col(Guard.employer_id).is_(None),
                                                              col(Guard.employer_id) != scope.company_id))
        )  # fmt: skip
        if session.exec(others).one():
            raise Forbidden("此班次有其他单位的保安员在排，不能修改 / other employers' guards are on this shift",
                            code="forbidden.shared_shift")  # fmt: skip
    return shift


def _sees_site(session: Session, scope: Scope, site_id: str) -> bool:
    try:
        readable_site(session, scope, site_id)
    except NotFound:
        return False
    return True


def update_shift(session: Session, scope: Scope, shift_id: int, form: ShiftForm) -> Shift:
    shift = editable_shift(session, scope, shift_id)
    for name, value in _shift_values(session, shift.site_id, form).items():
        setattr(shift, name, value)
    session.add(shift)
    _commit(session, "本场所已有同名班次", "the site already has a shift of that name")
    session.refresh(shift)
    return shift


def delete_shift(session: Session, scope: Scope, shift_id: int) -> Shift:
    """Delete a shift nobody was ever rostered on (an assignment's history keeps its shift)."""
    shift = editable_shift(session, scope, shift_id)
    used = select(func.count()).select_from(ShiftAssignment).where(ShiftAssignment.shift_id == shift_id)
    if session.exec(used).one():
        raise Conflict("班次仍有排班记录，不能删除 / the shift has assignments and cannot be deleted",
                       code="roster.shift_in_use")  # fmt: skip
    session.delete(shift)
    _commit(session, "班次仍被引用", "the shift is still referenced")
    return shift


def _overlaps(form: AssignmentForm) -> ColumnElement[bool]:
    """Assignments of the same guard and shift whose dates meet ``form``'s."""
    conditions: list[ColumnElement[bool]] = [
        col(ShiftAssignment.shift_id) == form.shift_id,
        col(ShiftAssignment.guard_id) == form.guard_id,
        or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= form.valid_from),
    ]
    if form.valid_to is not None:
        conditions.append(col(ShiftAssignment.valid_from) <= form.valid_to)
    return and_(*conditions)


def assign(session: Session, scope: Scope, form: AssignmentForm) -> ShiftAssignment:
    """Roster a guard on a shift on some weekdays from a day (to an optional day)."""
    shift = session.get(Shift, form.shift_id)
    if shift is None or not _sees_site(session, scope, shift.site_id):
        raise NotFound("shift")
    editable_site(session, scope, shift.site_id)
    rosterable_guard(session, scope, form.guard_id)
    weekdays = parse_weekdays(form.weekdays)
    if form.valid_to is not None and form.valid_to < form.valid_from:
        raise Unprocessable("截止日期早于起始日期 / the end date is before the start date", code="roster.invalid_dates")
    for other in session.exec(select(ShiftAssignment).where(_overlaps(form))).all():
        if set(other.weekdays) & set(weekdays):
            raise Conflict("该保安员在此期间已排此班 / the guard is already rostered on this shift then",
                           code="roster.overlap")  # fmt: skip
    row = ShiftAssignment(shift_id=form.shift_id, guard_id=form.guard_id, weekdays=weekdays,
                          valid_from=form.valid_from, valid_to=form.valid_to)  # fmt: skip
    session.add(row)
    _commit(session, "该保安员在此期间已排此班", "the guard is already rostered on this shift then")
    session.refresh(row)
    return row


def visible_assignment(session: Session, scope: Scope, assignment_id: int) -> tuple[ShiftAssignment, Shift]:
    """The assignment and its shift, if ``scope`` reads it (NotFound otherwise)."""
    row = session.get(ShiftAssignment, assignment_id)
    shift = session.get(Shift, row.shift_id) if row is not None else None
    if row is None or shift is None or not _sees_site(session, scope, shift.site_id):
        raise NotFound("assignment")
    site = readable_site(session, scope, shift.site_id)
    seen = select(Guard.id).where(Guard.id == row.guard_id, row_filter(scope, site))
    if session.exec(seen).first() is None:
        raise NotFound("assignment")
    return row, shift


def end_assignment(session: Session, scope: Scope, assignment_id: int, last_day: date) -> ShiftAssignment:
    """The guard's last rostered day on this assignment becomes ``last_day`` (earlier days stay as they were)."""
    row, shift = visible_assignment(session, scope, assignment_id)
    editable_site(session, scope, shift.site_id)
    rosterable_guard(session, scope, row.guard_id)
    if last_day < row.valid_from:
        raise Unprocessable("结束日期早于排班起始日期 / the last day is before the assignment starts",
                            code="roster.invalid_dates")  # fmt: skip
    if row.valid_to is not None and last_day > row.valid_to:
        raise Unprocessable("结束日期晚于原截止日期 / the last day is after the assignment's end",
                            code="roster.invalid_dates")  # fmt: skip
    row.valid_to = last_day
    session.add(row)
    _commit(session, "排班冲突", "the assignment conflicts")
    session.refresh(row)
    return row


def delete_assignment(session: Session, scope: Scope, assignment_id: int) -> ShiftAssignment:
    """Remove an assignment made in error before its first day; one that has begun is ended instead (history)."""
    row, shift = visible_assignment(session, scope, assignment_id)
    site = editable_site(session, scope, shift.site_id)
    rosterable_guard(session, scope, row.guard_id)
    if row.valid_from <= local_date(utcnow(), site.timezone):
        raise Conflict("已开始的排班只能结束，不能删除 / an assignment that has begun can only be ended",
                       code="roster.assignment_begun")  # fmt: skip
    session.delete(row)
    _commit(session, "排班仍被引用", "the assignment is still referenced")
    return row


def shift_detail(shift: Shift) -> str:
    """The audit log's words for a shift as written."""
    return (f"site={shift.site_id} name={shift.name_zh} {shift.starts:%H:%M}-{shift.ends:%H:%M} "
            f"post={shift.post_id or '-'} grace={shift.late_grace_min}/{shift.early_grace_min}")  # fmt: skip


def assignment_detail(row: ShiftAssignment) -> str:
    """The audit log's words for an assignment as written."""
    return (f"shift={row.shift_id} guard={row.guard_id} weekdays={row.weekdays} "
            f"from={row.valid_from} to={row.valid_to or '-'}")  # fmt: skip
