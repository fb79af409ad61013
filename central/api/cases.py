"""Cases over HTTP (``central.cases``): opened from a violation, each step audited.

The regulator opens (``POST /api/cases``), orders a correction, closes and
reopens; the company answers, with one attachment if it likes (multipart).
Everyone reads only the cases of their jurisdiction or company.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from central.access.audit import audit
from central.access.scope import Scope
from central.api.deps import ScopeDep, SessionDep
from central.api.paging import DB_INT_MAX, Page, PagingDep, page
from central.cases import workflow
from central.cases.models import CaseAction, CaseStatus
from central.cases.workflow import MAX_ATTACHMENT_BYTES, CasePublic
from central.db.types import utcnow
from central.registry.snapshot import local_date

router = APIRouter(prefix="/api/cases", tags=["cases"])

Note = Annotated[str, Form(max_length=2000)]
CaseId = Annotated[int, PathParam(ge=1, le=DB_INT_MAX)]


class CaseOpen(BaseModel):
    violation_id: int = Field(ge=1, le=DB_INT_MAX)
    note: str = Field(default="", max_length=2000)


class CaseStepIn(BaseModel):
    note: str = Field(default="", max_length=2000)
    deadline: date | None = None


def _today() -> date:
    return local_date(utcnow())


def _step(session: SessionDep, scope: Scope, case_id: CaseId, action: CaseAction, body: CaseStepIn) -> CasePublic:
    case = workflow.take_step(session, scope, case_id, action, body.note, body.deadline)
    audit(session, scope, f"case.{action.value}", str(case_id), f"deadline={body.deadline} note={body.note[:200]}")
    return workflow.public(session, scope, case, _today(), steps=True)


@router.post("", status_code=status.HTTP_201_CREATED)
def open_case(body: CaseOpen, session: SessionDep, scope: ScopeDep) -> CasePublic:
    """立案 / open the case of a violation (police of its jurisdiction, or the administrator)."""
    case = workflow.open_case(session, scope, body.violation_id, body.note)
    audit(session, scope, "case.open", str(case.id), f"violation={body.violation_id} code={case.code}")
    return workflow.public(session, scope, case, _today(), steps=True)


@router.get("")
def cases(
    session: SessionDep,
    scope: ScopeDep,
    paging: PagingDep,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    overdue: bool = False,
) -> Page[CasePublic]:
    """The cases the asker may see, latest changed first; ``overdue=true``: past the deadline, unanswered."""
    today = _today()
    found = workflow.list_cases(session, scope, paging, status_, today, overdue)
    return page(found.map(lambda case: workflow.public(session, scope, case, today)), paging)


@router.get("/{case_id}")
def case(case_id: CaseId, session: SessionDep, scope: ScopeDep) -> CasePublic:
    return workflow.public(session, scope, workflow.get_case(session, scope, case_id), _today(), steps=True)


@router.post("/{case_id}/order")
def order(case_id: CaseId, body: CaseStepIn, session: SessionDep, scope: ScopeDep) -> CasePublic:
    """责令整改 / order a correction by ``deadline`` (the regulator)."""
    return _step(session, scope, case_id, CaseAction.ORDER, body)


@router.post("/{case_id}/close")
def close(case_id: CaseId, body: CaseStepIn, session: SessionDep, scope: ScopeDep) -> CasePublic:
    """结案 / close (the regulator)."""
    return _step(session, scope, case_id, CaseAction.CLOSE, body)


@router.post("/{case_id}/reopen")
def reopen(case_id: CaseId, body: CaseStepIn, session: SessionDep, scope: ScopeDep) -> CasePublic:
    """重新整改 / reopen with a new deadline (the regulator)."""
    return _step(session, scope, case_id, CaseAction.REOPEN, body)


@router.post("/{case_id}/answer")
async def answer(
    case_id: CaseId,
    session: SessionDep,
    scope: ScopeDep,
    note: Note,
    attachment: Annotated[UploadFile | None, File(description="one file, up to 5 MB")] = None,
) -> CasePublic:
    """整改回复 / the company's answer: text, and one attachment if it likes."""
    attached = None
    if attachment is not None and attachment.filename:
        data = await attachment.read(MAX_ATTACHMENT_BYTES + 1)  # one byte more: the workflow refuses it
        attached = (attachment.filename[:200], attachment.content_type or "application/octet-stream", data)
    case = workflow.take_step(session, scope, case_id, CaseAction.ANSWER, note, attachment=attached)
    audit(session, scope, "case.answer", str(case_id), f"attachment={attached[0] if attached else None}")
    return workflow.public(session, scope, case, _today(), steps=True)


@router.get("/{case_id}/steps/{step_id}/attachment", response_class=Response)
def attachment(case_id: CaseId, step_id: CaseId, session: SessionDep, scope: ScopeDep) -> Response:
    step = workflow.attachment_of(session, scope, case_id, step_id)
    name = step.attachment_name or "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"  # RFC 6266: Chinese names
    return Response(
        step.attachment or b"",
        media_type="application/octet-stream",  # never rendered by the browser: a download
        headers={"Content-Disposition": disposition},
    )
