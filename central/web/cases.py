"""The cases pages: the list (with the violations a regulator may take up) and one case with its steps.

Each step is a plain form post (the session's CSRF token in the form) that
answers with the case page again: the step taken, or the refusal in words.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from central.access.audit import audit
from central.access.models import Role
from central.access.scope import Scope
from central.api.deps import PageScopeDep, SessionDep
from central.cases import workflow
from central.cases.models import Case, CaseAction, CaseStatus
from central.checkins.models import Checkin, Violation
from central.checkins.queries import checkin_scope
from central.compliance import follow_up
from central.db.types import utcnow
from central.errors import DomainError
from central.paging import Paging
from central.registry.queries import display_names
from central.registry.snapshot import local_date
from central.web.render import render

router = APIRouter(include_in_schema=False)
RECENT_DAYS = 30


def _names(session: Session, rows: list[Any]) -> dict[str, str]:
    """The names of the companies, sites and guards these cases or check-ins name, and only those."""
    return display_names(
        session,
        company_ids=(getattr(r, "company_id", None) or getattr(r, "employer_id", None) for r in rows),
        site_ids=(r.site_id for r in rows),
        guard_ids=(getattr(r, "guard_id", None) for r in rows),
    )


def _open_violations(session: Session, scope: Scope) -> list[tuple[Violation, Checkin]]:
    """The regulator's recent violations no case was opened for, newest first."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    taken = select(Case.violation_id).where(col(Case.violation_id).is_not(None))  # NOT IN (…, NULL) is never true
    query = (
        select(Violation, Checkin)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .where(checkin_scope(scope), col(Checkin.occurred_at) >= since, col(Violation.id).not_in(taken))
        .order_by(col(Checkin.occurred_at).desc())
        .limit(50)
    )
    return list(session.exec(query).all())


@router.get("/cases")
def cases_page(
    request: Request, session: SessionDep, scope: PageScopeDep, status: CaseStatus | None = None, overdue: bool = False
) -> HTMLResponse:
    today = local_date(utcnow())
    found = workflow.list_cases(session, scope, Paging(limit=200), status, today, overdue)
    regulator = scope.role in (Role.ADMIN, Role.POLICE)
    violations = _open_violations(session, scope) if regulator else []
    reminders = follow_up.reminders(session, scope, today)
    context = {
        "cases": [workflow.public(session, scope, case, today) for case in found.rows],
        "total": found.count,
        "status": status,
        "overdue": overdue,
        "statuses": list(CaseStatus),
        "words": workflow.STATUS_WORDS,
        "names": _names(session, [*found.rows, *reminders, *(checkin for _violation, checkin in violations)]),
        "reminders": reminders,
        "violations": violations,
        "regulator": regulator,
        "recent_days": RECENT_DAYS,
    }
    return render(request, "cases.html", scope, context)


def _case_page(
    request: Request, session: Session, scope: Scope, case_id: int, error: str | None = None
) -> HTMLResponse:
    today = local_date(utcnow())
    case = workflow.public(session, scope, workflow.get_case(session, scope, case_id), today, steps=True)
    context = {
        "case": case,
        "words": workflow.STATUS_WORDS,
        "names": _names(session, [case]),
        "error": error,
        "default_deadline": today + timedelta(days=15),
    }
    return render(request, "case.html", scope, context, status_code=200 if error is None else 409)


@router.get("/cases/{case_id}")
def case_page(request: Request, session: SessionDep, scope: PageScopeDep, case_id: int) -> HTMLResponse:
    return _case_page(request, session, scope, case_id)


@router.post("/cases/open")
def open_case(
    session: SessionDep,
    scope: PageScopeDep,
    violation_id: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    case = workflow.open_case(session, scope, violation_id, note)
    audit(session, scope, "case.open", str(case.id), f"violation={violation_id} code={case.code}")
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.post("/cases/{case_id}/{action}", response_model=None)
async def case_step(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    case_id: int,
    action: CaseAction,
    note: Annotated[str, Form(max_length=2000)] = "",
    deadline: Annotated[date | None, Form()] = None,
    attachment: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    attached = None
    if attachment is not None and attachment.filename:
        data = await attachment.read(workflow.MAX_ATTACHMENT_BYTES + 1)
        attached = (attachment.filename[:200], attachment.content_type or "application/octet-stream", data)
    try:
        workflow.take_step(session, scope, case_id, action, note, deadline, attached)
    except DomainError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        return _case_page(request, session, scope, case_id, error=str(exc))
    audit(session, scope, f"case.{action.value}", str(case_id), f"deadline={deadline} note={note[:200]}")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
