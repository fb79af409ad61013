"""The leave and correction pages: the list with each request's steps, and the form to file one.

Plain form posts carrying the session's CSRF token; a refusal re-renders the
page with the reason in words (and what was typed), a step taken redirects
back to the list.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session, col, select

from central.access.audit import audit
from central.access.scope import Scope
from central.api.attendance_requests import describe
from central.api.deps import PageScopeDep, SessionDep, SettingsDep
from central.attendance import request_workflow as workflow
from central.attendance.request_models import LeaveKind, RequestKind, RequestStatus
from central.attendance.request_workflow import Decision, FiledBy, RequestIn
from central.errors import DomainError
from central.registry.models import Site
from central.registry.queries import site_scope, visible_sites
from central.registry.roster import Shift
from central.web.pager import DEFAULT_SIZE, PageAsk, PagerDep
from central.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/attendance/requests")
def requests_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    ask: PagerDep,
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
) -> HTMLResponse:
    return _list(request, session, scope, settings.attendance.requests_filed_by, ask, status, kind)


def _list(
    request: Request,
    session: Session,
    scope: Scope,
    filed_by: FiledBy,
    ask: PageAsk,
    status: RequestStatus | None = None,
    kind: RequestKind | None = None,
    error: str | None = None,
) -> HTMLResponse:
    found = workflow.list_requests(session, scope, ask.paging, status=status, kind=kind)
    context = {
        "requests": workflow.public(session, scope, found.rows, filed_by),
        "total": found.count,
        "pager": ask.of(found.count),
        "status": status,
        "kind": kind,
        "statuses": list(RequestStatus),
        "words": workflow.STATUS_WORDS,
        "error": error,
        "filed_by": filed_by,
    }
    return render(request, "attendance_requests.html", scope, context, status_code=200 if error is None else 409)


def _site(session: Session, scope: Scope, site_id: str | None) -> Site | None:
    if not site_id:
        return None
    return session.exec(select(Site).where(Site.id == site_id, site_scope(scope))).first()


def _form(
    request: Request,
    session: Session,
    scope: Scope,
    filed_by: FiledBy,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = _site(session, scope, values.get("site_id"))
    shifts = [] if site is None else session.exec(
        select(Shift).where(Shift.site_id == site.id).order_by(col(Shift.starts))).all()  # fmt: skip
    context = {
        "values": values,
        "sites": visible_sites(session, scope),
        "site": site,
        "guards": [] if site is None else workflow.fileable_guards(session, scope, site, filed_by),
        "shifts": shifts,
        "leave_kinds": list(LeaveKind),
        "error": error,
        "filed_by": filed_by,
    }
    return render(request, "attendance_request_form.html", scope, context, status_code=status_code)


@router.get("/attendance/requests/new")
def new_request_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    site_id: str = "",
    guard_id: str = "",
    day: date | None = None,
    shift_id: int | None = None,
    kind: RequestKind = RequestKind.LEAVE,
) -> HTMLResponse:
    values = {"site_id": site_id, "guard_id": guard_id, "first_day": day, "last_day": day, "shift_id": shift_id,
              "kind": kind.value}  # fmt: skip
    return _form(request, session, scope, settings.attendance.requests_filed_by, values)


def _refusal(exc: ValidationError) -> str:
    fields = "、".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
    return f"请检查填写的内容：{fields} / please check these fields: {fields}"


@router.post("/attendance/requests", response_model=None)
def file_request(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    kind: Annotated[str, Form()],
    site_id: Annotated[str, Form(max_length=32)],
    guard_id: Annotated[str, Form(max_length=32)] = "",
    shift_id: Annotated[str, Form(max_length=12)] = "",
    first_day: Annotated[str, Form(max_length=10)] = "",
    last_day: Annotated[str, Form(max_length=10)] = "",
    leave_kind: Annotated[str, Form(max_length=16)] = "",
    direction: Annotated[str, Form(max_length=3)] = "",
    at: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse | RedirectResponse:
    filed_by = settings.attendance.requests_filed_by
    typed = {"kind": kind, "site_id": site_id, "guard_id": guard_id, "shift_id": shift_id, "first_day": first_day,
             "last_day": last_day, "leave_kind": leave_kind, "direction": direction, "at": at,
             "reason": reason}  # fmt: skip
    # Fields a form leaves empty are absent, not empty strings; a correction's day is its time's.
    body = {k: v for k, v in typed.items() if v != ""}
    if kind == RequestKind.CORRECTION:
        body = {k: v for k, v in body.items() if k not in ("first_day", "last_day", "leave_kind")}
    try:
        filed = workflow.file_request(session, scope, RequestIn.model_validate(body), filed_by)
    except ValidationError as exc:
        return _form(request, session, scope, filed_by, typed, _refusal(exc), status_code=422)
    except DomainError as exc:
        session.rollback()
        return _form(request, session, scope, filed_by, typed, str(exc), status_code=exc.status)
    audit(session, scope, f"attendance_request.{filed.kind}", str(filed.id), describe(filed))
    return RedirectResponse(f"/attendance/requests#request-{filed.id}", status_code=303)


@router.post("/attendance/requests/{request_id}/{decision}", response_model=None)
def decide(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    request_id: int,
    decision: Decision,
    note: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse | RedirectResponse:
    filed_by = settings.attendance.requests_filed_by
    try:
        decided = workflow.decide(session, scope, request_id, decision, note, filed_by)
    except DomainError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        first_page = PageAsk(1, DEFAULT_SIZE, "/attendance/requests", ())
        return _list(request, session, scope, filed_by, first_page, error=str(exc))
    audit(session, scope, f"attendance_request.{decision}", str(request_id), f"{describe(decided)} note={note[:200]}")
    return RedirectResponse(f"/attendance/requests#request-{request_id}", status_code=303)
