"""Filing, deciding and reading leave and corrections, and who may do which.

pending ─approve─▶ approved
   │ ─reject──▶ rejected   (a note is required)
   └─withdraw─▶ withdrawn  (the account that filed it, or an administrator)

Two parties stand behind each request: the guard's employer (the security
company) and the unit managing the site (the property firm, or the
self-recruiting unit). One files, the other approves
(``attendance.requests_filed_by``, the employer by default). Where the other
party is missing or is the same company (a self-recruiting unit on its own
premises), another account of the filing side approves. Nobody approves what
they filed; the administrator may do anything else.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, or_, select

from central.access.models import Role
from central.access.scope import Scope
from central.attendance.request_models import AttendanceRequest, LeaveKind, RequestKind, RequestStatus
from central.db.types import utcnow
from central.errors import Conflict, Forbidden, NotFound, Unprocessable
from central.paging import Paged, Paging, fetch
from central.registry.models import Guard, Site
from central.registry.queries import site_scope
from central.registry.roster import Shift, ShiftAssignment

FiledBy = Literal["employer", "site"]
Decision = Literal["approve", "reject", "withdraw"]

MAX_LEAVE_DAYS = 62  # one request covers at most two months; longer absences are a roster change
# A correction's time lies between the day before its duty's day and two days after (overnight shifts).
_CORRECTION_REACH = (timedelta(days=-1), timedelta(days=2))
_FUTURE_SLACK = timedelta(minutes=5)  # a correction is for a tap that was missed, not one to come

STATUS_WORDS = {
    RequestStatus.PENDING: ("待审批", "pending"),
    RequestStatus.APPROVED: ("已批准", "approved"),
    RequestStatus.REJECTED: ("已驳回", "rejected"),
    RequestStatus.WITHDRAWN: ("已撤回", "withdrawn"),
}


class RequestIn(BaseModel):
    """What a filer sends; the form's fields and the API's body."""

    kind: RequestKind
    guard_id: str = Field(max_length=32)
    site_id: str = Field(max_length=32)
    shift_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    first_day: date | None = None  # leave: the first day; correction: the duty's day (default: the tap's)
    last_day: date | None = None  # leave only; default first_day
    leave_kind: LeaveKind | None = None
    direction: Literal["in", "out"] | None = None
    at: datetime | None = None  # a correction's time; without an offset, local time at the site
    reason: str = Field(default="", max_length=500)


class RequestPublic(BaseModel):
    id: int
    kind: RequestKind
    guard_id: str
    guard_name_zh: str
    guard_name_en: str
    site_id: str
    site_name_zh: str
    site_name_en: str
    company_id: str | None
    shift_id: int | None
    shift_name_zh: str | None
    first_day: date
    last_day: date
    leave_kind: LeaveKind | None
    direction: str | None
    at: datetime | None
    reason: str
    status: RequestStatus
    requested_by: str
    requested_role: str
    requested_at: datetime
    decided_by: str | None
    decided_role: str | None
    decided_at: datetime | None
    decision_note: str
    next: list[Decision]  # what the asker may do now


def request_scope(scope: Scope) -> ColumnElement[bool]:
    """The requests ``scope`` may see: its guards' (as employer when filed) and those at the sites it manages."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return false()
    managed = select(Site.id).where(Site.managed_by == scope.company_id)
    return or_(col(AttendanceRequest.company_id) == scope.company_id, col(AttendanceRequest.site_id).in_(managed))


def parties(employer: str | None, site: Site, filed_by: FiledBy) -> tuple[str | None, str | None]:
    """(the company that files, the company that approves) for a guard of ``employer`` at ``site``."""
    filer, approver = (employer, site.managed_by) if filed_by == "employer" else (site.managed_by, employer)
    return filer, approver or filer


def may_file(scope: Scope, employer: str | None, site: Site, filed_by: FiledBy) -> bool:
    """Whether ``scope`` files for a guard of ``employer`` at ``site`` (the administrator always may)."""
    filer, _approver = parties(employer, site, filed_by)
    return scope.role is Role.ADMIN or (filer is not None and scope.company_id == filer)


def fileable_guards(session: Session, scope: Scope, site: Site, filed_by: FiledBy) -> list[tuple[str, str, str]]:
    """(id, Chinese name, English name) of the guards rostered at ``site`` whom ``scope`` may file for."""
    rostered = (
        select(Guard.id, Guard.name_zh, Guard.name_en, Guard.employer_id)
        .join(ShiftAssignment, col(ShiftAssignment.guard_id) == col(Guard.id))
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .where(Shift.site_id == site.id)
        .distinct()
        .order_by(col(Guard.id))
    )
    return [
        (g, zh, en) for g, zh, en, employer in session.exec(rostered).all() if may_file(scope, employer, site, filed_by)
    ]


def allowed(scope: Scope, request: AttendanceRequest, site: Site, filed_by: FiledBy) -> list[Decision]:
    """What ``scope`` (who can already see ``request``) may do with it now."""
    if request.status != RequestStatus.PENDING:
        return []
    _filer, approver = parties(request.company_id, site, filed_by)
    own = request.requested_by == scope.actor
    steps: list[Decision] = []
    if not own and (scope.role is Role.ADMIN or (approver is not None and scope.company_id == approver)):
        steps += ["approve", "reject"]
    if own or scope.role is Role.ADMIN:
        steps.append("withdraw")
    return steps


def _local(at: datetime, zone: str) -> datetime:
    return at.replace(tzinfo=ZoneInfo(zone)) if at.tzinfo is None else at


def _checked(session: Session, scope: Scope, body: RequestIn, filed_by: FiledBy) -> AttendanceRequest:
    """The request ``body`` describes, if ``scope`` may file it and it makes sense; refusals in words."""
    site = session.exec(select(Site).where(Site.id == body.site_id, site_scope(scope))).first()
    if site is None:
        raise NotFound("site", body.site_id)
    guard = session.get(Guard, body.guard_id)
    if guard is None:
        raise NotFound("guard", body.guard_id)
    if not may_file(scope, guard.employer_id, site, filed_by):
        side = "保安员所属公司" if filed_by == "employer" else "场所管理单位"
        side_en = "the guard's employer" if filed_by == "employer" else "the unit managing the site"
        raise Forbidden(f"此申请应由{side}提交 / this request is filed by {side_en}", code="forbidden.request_filer")
    if body.shift_id is not None:
        shift = session.get(Shift, body.shift_id)
        if shift is None or shift.site_id != site.id:
            raise Unprocessable("该场所无此班次 / no such shift at this site", code="request.shift")
    reason = body.reason.strip()
    if not reason:
        raise Unprocessable("请填写事由 / a reason is required", code="request.reason_required")
    if len(reason) > 500:
        raise Unprocessable("事由不能超过 500 字 / the reason is longer than 500 characters", code="request.reason")
    request = AttendanceRequest(
        kind=body.kind, guard_id=guard.id, site_id=site.id, company_id=guard.employer_id, shift_id=body.shift_id,
        first_day=date.min, last_day=date.min, reason=reason, requested_by=scope.actor,
        requested_role=scope.role.value,
    )  # fmt: skip
    if body.kind is RequestKind.LEAVE:
        _leave_days(request, body)
    else:
        _correction_time(request, body, site.timezone)
    return request


def _leave_days(request: AttendanceRequest, body: RequestIn) -> None:
    if body.first_day is None:
        raise Unprocessable("请填写请假开始日期 / the first day of leave is required", code="request.first_day")
    last = body.last_day or body.first_day
    if last < body.first_day:
        raise Unprocessable("结束日期早于开始日期 / the last day is before the first", code="request.days")
    if (last - body.first_day).days >= MAX_LEAVE_DAYS:
        raise Unprocessable(f"一次请假不能超过 {MAX_LEAVE_DAYS} 天 / at most {MAX_LEAVE_DAYS} days per request",
                            code="request.days")  # fmt: skip
    request.first_day, request.last_day = body.first_day, last
    request.leave_kind = body.leave_kind or LeaveKind.PERSONAL


def _correction_time(request: AttendanceRequest, body: RequestIn, zone: str) -> None:
    if body.direction is None or body.at is None:
        raise Unprocessable("请填写补卡时间和签到/签退 / the time and direction of the missed tap are required",
                            code="request.correction")  # fmt: skip
    at = _local(body.at, zone)
    if at > utcnow() + _FUTURE_SLACK:
        raise Unprocessable("补卡时间不能晚于现在 / a correction cannot be in the future", code="request.future")
    day = body.first_day or at.astimezone(ZoneInfo(zone)).date()
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    if not start + _CORRECTION_REACH[0] <= at < start + _CORRECTION_REACH[1]:
        raise Unprocessable("补卡时间与日期不符 / the time does not fall near that day", code="request.correction")
    request.first_day = request.last_day = day
    request.direction, request.at = body.direction, at


def _duplicate(session: Session, request: AttendanceRequest) -> bool:
    live = (RequestStatus.PENDING.value, RequestStatus.APPROVED.value)
    query = select(AttendanceRequest.id).where(
        AttendanceRequest.guard_id == request.guard_id,
        AttendanceRequest.site_id == request.site_id,
        AttendanceRequest.kind == request.kind.value,
        col(AttendanceRequest.status).in_(live),
    )
    if request.kind is RequestKind.LEAVE:
        query = query.where(
            col(AttendanceRequest.first_day) <= request.last_day,
            col(AttendanceRequest.last_day) >= request.first_day,
        )
        if request.shift_id is not None:  # a leave of every shift overlaps each one
            query = query.where(
                or_(col(AttendanceRequest.shift_id).is_(None), AttendanceRequest.shift_id == request.shift_id)
            )
    else:
        query = query.where(AttendanceRequest.direction == request.direction, AttendanceRequest.at == request.at)
    return session.exec(query).first() is not None


def file_request(session: Session, scope: Scope, body: RequestIn, filed_by: FiledBy) -> AttendanceRequest:
    """A new pending request filed by ``scope``; Conflict when one like it is already pending or approved."""
    request = _checked(session, scope, body, filed_by)
    if _duplicate(session, request):
        words = "该时段已有请假申请" if request.kind is RequestKind.LEAVE else "已有相同的补卡申请"
        raise Conflict(f"{words} / an overlapping request is already pending or approved", code="request.duplicate")
    session.add(request)
    session.commit()
    session.refresh(request)
    return request


def _visible(session: Session, scope: Scope, request_id: int) -> tuple[AttendanceRequest, Site]:
    row = session.exec(
        select(AttendanceRequest, Site)
        .join(Site, col(Site.id) == col(AttendanceRequest.site_id))
        .where(AttendanceRequest.id == request_id, request_scope(scope))
    ).first()
    if row is None:
        raise NotFound("attendance_request", str(request_id))
    return row[0], row[1]


def decide(
    session: Session, scope: Scope, request_id: int, decision: Decision, note: str, filed_by: FiledBy
) -> AttendanceRequest:
    """``decision`` on a pending request; Conflict once decided, Forbidden for a step not the asker's."""
    request, site = _visible(session, scope, request_id)
    if request.status != RequestStatus.PENDING:
        zh, en = STATUS_WORDS[RequestStatus(request.status)]
        raise Conflict(f"申请{zh}，不能再处理 / the request is already {en}", code="request.decided")
    if decision not in allowed(scope, request, site, filed_by):
        if decision != "withdraw" and request.requested_by == scope.actor:
            raise Forbidden("不能审批自己提交的申请 / you cannot decide your own request", code="forbidden.own_request")
        raise Forbidden("此操作不属于您 / this step is not yours to take", code="forbidden.request_step")
    note = note.strip()[:500]
    if decision == "reject" and not note:
        raise Unprocessable("驳回请填写原因 / a rejection needs a note", code="request.note_required")
    request.status = {"approve": RequestStatus.APPROVED, "reject": RequestStatus.REJECTED,
                      "withdraw": RequestStatus.WITHDRAWN}[decision]  # fmt: skip
    request.decided_by, request.decided_role = scope.actor, scope.role.value
    request.decided_at, request.decision_note = utcnow(), note
    session.add(request)
    session.commit()
    session.refresh(request)
    return request


def list_requests(
    session: Session,
    scope: Scope,
    paging: Paging,
    *,
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
    site_id: str | None = None,
    guard_id: str | None = None,
) -> Paged[tuple[AttendanceRequest, Site]]:
    """The requests ``scope`` may see, pending first, then the latest filed."""
    query = (
        select(AttendanceRequest, Site)
        .join(Site, col(Site.id) == col(AttendanceRequest.site_id))
        .where(request_scope(scope))
    )
    for column, value in ((AttendanceRequest.status, status), (AttendanceRequest.kind, kind),
                          (AttendanceRequest.site_id, site_id), (AttendanceRequest.guard_id, guard_id)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    pending_first = col(AttendanceRequest.status) != RequestStatus.PENDING.value
    query = query.order_by(pending_first, col(AttendanceRequest.requested_at).desc(), col(AttendanceRequest.id).desc())
    return fetch(session, query, paging)


def get_request(session: Session, scope: Scope, request_id: int) -> tuple[AttendanceRequest, Site]:
    return _visible(session, scope, request_id)


def public(
    session: Session, scope: Scope, pairs: list[tuple[AttendanceRequest, Site]], filed_by: FiledBy
) -> list[RequestPublic]:
    """``pairs`` as the API sends them: with the guard's, site's and shift's names and the asker's next steps."""
    guard_ids = {r.guard_id for r, _s in pairs}
    shift_ids = {r.shift_id for r, _s in pairs if r.shift_id is not None}
    guards = {g: (zh, en) for g, zh, en in session.exec(
        select(Guard.id, Guard.name_zh, Guard.name_en).where(col(Guard.id).in_(guard_ids))).all()}  # fmt: skip
    shifts = dict(session.exec(select(Shift.id, Shift.name_zh).where(col(Shift.id).in_(shift_ids))).all())
    return [
        RequestPublic(
            **request.model_dump(exclude={"kind", "status", "leave_kind"}),
            kind=RequestKind(request.kind),
            status=RequestStatus(request.status),
            leave_kind=LeaveKind(request.leave_kind) if request.leave_kind else None,
            guard_name_zh=guards.get(request.guard_id, ("", ""))[0],
            guard_name_en=guards.get(request.guard_id, ("", ""))[1],
            site_name_zh=site.name_zh,
            site_name_en=site.name_en,
            shift_name_zh=shifts.get(request.shift_id) if request.shift_id is not None else None,
            next=allowed(scope, request, site, filed_by),
        )
        for request, site in pairs
    ]
