"""Leave (请假) and missed-tap corrections (补卡) over HTTP (``central.attendance.request_workflow``).

One party files (``POST /api/attendance/requests``), the other approves or
rejects; the filer may withdraw while it is pending. Each step is audited.
Only approved requests change attendance, timesheets and the board.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from central.access.audit import audit
from central.api.deps import ScopeDep, SessionDep, SettingsDep
from central.api.paging import DB_INT_MAX, Page, PagingDep, page
from central.attendance import request_workflow as workflow
from central.attendance.request_models import AttendanceRequest, RequestKind, RequestStatus
from central.attendance.request_workflow import Decision, RequestIn, RequestPublic
from central.paging import Paged

router = APIRouter(prefix="/api/attendance/requests", tags=["attendance"])

RequestId = Annotated[int, PathParam(ge=1, le=DB_INT_MAX)]


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=500)


def describe(request: AttendanceRequest) -> str:
    """The audit log's detail of a request: what, whom, where, when."""
    when = f"{request.first_day}..{request.last_day}" if request.kind == RequestKind.LEAVE else f"{request.at}"
    return f"{request.kind} guard={request.guard_id} site={request.site_id} {when} shift={request.shift_id}"


@router.post("", status_code=status.HTTP_201_CREATED)
def file_request(body: RequestIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> RequestPublic:
    """提交请假或补卡申请 / file a leave or a missed-tap correction."""
    filed_by = settings.attendance.requests_filed_by
    request = workflow.file_request(session, scope, body, filed_by)
    audit(session, scope, f"attendance_request.{request.kind}", str(request.id), describe(request))
    return workflow.public(session, scope, [workflow.get_request(session, scope, request.id or 0)], filed_by)[0]


@router.get("")
def requests(
    session: SessionDep,
    scope: ScopeDep,
    settings: SettingsDep,
    paging: PagingDep,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
    kind: RequestKind | None = None,
    site_id: Annotated[str | None, Query(max_length=32)] = None,
    guard_id: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[RequestPublic]:
    """The requests the asker may see, pending first, then the latest filed."""
    found = workflow.list_requests(session, scope, paging, status=status_, kind=kind, site_id=site_id,
                                   guard_id=guard_id)  # fmt: skip
    shown = workflow.public(session, scope, found.rows, settings.attendance.requests_filed_by)
    return page(Paged(shown, found.count), paging)


@router.get("/{request_id}")
def request(request_id: RequestId, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> RequestPublic:
    pair = workflow.get_request(session, scope, request_id)
    return workflow.public(session, scope, [pair], settings.attendance.requests_filed_by)[0]


def _decide(
    request_id: int, decision: Decision, body: DecisionIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> RequestPublic:
    filed_by = settings.attendance.requests_filed_by
    decided = workflow.decide(session, scope, request_id, decision, body.note, filed_by)
    audit(
        session, scope, f"attendance_request.{decision}", str(request_id), f"{describe(decided)} note={body.note[:200]}"
    )
    return workflow.public(session, scope, [workflow.get_request(session, scope, request_id)], filed_by)[0]


@router.post("/{request_id}/approve")
def approve(
    request_id: RequestId, body: DecisionIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> RequestPublic:
    """批准 / approve (the other party, never the account that filed it)."""
    return _decide(request_id, "approve", body, session, scope, settings)


@router.post("/{request_id}/reject")
def reject(
    request_id: RequestId, body: DecisionIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> RequestPublic:
    """驳回 / reject, with a note."""
    return _decide(request_id, "reject", body, session, scope, settings)


@router.post("/{request_id}/withdraw")
def withdraw(
    request_id: RequestId, body: DecisionIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> RequestPublic:
    """撤回 / withdraw a pending request (the account that filed it)."""
    return _decide(request_id, "withdraw", body, session, scope, settings)
