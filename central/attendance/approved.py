"""What approved leave and corrections change in attendance: duties excused, taps added.

``central.attendance.report`` reads them for the days it reports and applies
them before the rules judge the taps, so that the attendance page, the board,
timesheets and reports all agree.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from sqlmodel import Session, col, select

from central.attendance.request_models import AttendanceRequest, RequestKind, RequestStatus
from central.attendance.rules import Duty, Tap
from central.registry.models import Guard


def load_approved(
    session: Session,
    *,
    site_ids: Collection[str] | None,
    guard_ids: Collection[str] | None,
    first: date,
    last: date,
    employer_id: str | None = None,
) -> list[AttendanceRequest]:
    """The approved requests touching the local days ``first``..``last`` (None: no filter on that key)."""
    query = select(AttendanceRequest).where(
        AttendanceRequest.status == RequestStatus.APPROVED,
        col(AttendanceRequest.first_day) <= last,
        col(AttendanceRequest.last_day) >= first,
    )
    if site_ids is not None:
        query = query.where(col(AttendanceRequest.site_id).in_(site_ids))
    if guard_ids is not None:
        query = query.where(col(AttendanceRequest.guard_id).in_(guard_ids))
    if employer_id is not None:
        query = query.where(AttendanceRequest.company_id == employer_id)
    return list(session.exec(query).all())


def excuse(duties: Sequence[Duty], requests: Sequence[AttendanceRequest]) -> list[Duty]:
    """``duties`` with those an approved leave covers marked with the leave's kind."""
    leaves: dict[tuple[str, str], list[AttendanceRequest]] = {}
    for r in requests:
        if r.kind == RequestKind.LEAVE:
            leaves.setdefault((r.guard_id, r.site_id), []).append(r)
    if not leaves:
        return list(duties)

    def leave_of(duty: Duty) -> str | None:
        for leave in leaves.get((duty.guard_id, duty.site_id), ()):  # the first approved one, as filed
            if leave.first_day <= duty.day <= leave.last_day and leave.shift_id in (None, duty.shift_id):
                return str(leave.leave_kind or "other")
        return None

    excused = []
    for duty in duties:  # a month holds tens of thousands of duties and a few leaves
        kind = leave_of(duty) if (duty.guard_id, duty.site_id) in leaves else None
        excused.append(duty if kind == duty.leave else replace(duty, leave=kind))
    return excused


def correction_taps(session: Session, requests: Sequence[AttendanceRequest]) -> list[Tap]:
    """A tap for each approved correction, marked as such."""
    corrections = [r for r in requests if r.kind == RequestKind.CORRECTION and r.at is not None and r.direction]
    if not corrections:
        return []
    names = {
        guard_id: (zh, en)
        for guard_id, zh, en in session.exec(
            select(Guard.id, Guard.name_zh, Guard.name_en).where(col(Guard.id).in_({r.guard_id for r in corrections}))
        ).all()
    }
    taps = []
    for request in corrections:
        assert request.at is not None  # filtered above
        assert request.direction is not None
        zh, en = names.get(request.guard_id, ("", ""))
        taps.append(
            Tap(
                guard_id=request.guard_id,
                guard_name_zh=zh,
                guard_name_en=en,
                occurred_at=request.at,
                direction=request.direction,
                violations=0,
                site_id=request.site_id,
                corrected=True,
            )
        )
    return taps
