"""The case workflow and who may do what, and the scoped reads of cases.

open ─order─▶ ordered ─answer─▶ answered ─close─▶ closed
                 ▲                  │                │
                 └──────reopen──────┴────────────────┘

The regulator (police of the site's jurisdiction, or the administrator) opens,
orders, closes and reopens; ordering and reopening need a deadline and a note.
The company the case is for, or the property firm managing the site, answers
(a note, one attachment if it likes). A case past its deadline without an
answer is overdue.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, or_, select

from central.access.models import Role
from central.access.scope import Scope
from central.cases.models import Case, CaseAction, CaseStatus, CaseStep
from central.checkins.models import Checkin, Violation
from central.db.types import utcnow
from central.errors import Conflict, Forbidden, NotFound, Unprocessable
from central.paging import Paged, Paging, fetch
from central.registry.models import Site

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024

# action -> (the statuses it applies to, the status it leads to)
_STEPS: dict[CaseAction, tuple[frozenset[CaseStatus], CaseStatus]] = {
    CaseAction.ORDER: (frozenset({CaseStatus.OPEN}), CaseStatus.ORDERED),
    CaseAction.ANSWER: (frozenset({CaseStatus.ORDERED}), CaseStatus.ANSWERED),
    CaseAction.CLOSE: (frozenset({CaseStatus.OPEN, CaseStatus.ANSWERED}), CaseStatus.CLOSED),
    CaseAction.REOPEN: (frozenset({CaseStatus.ANSWERED, CaseStatus.CLOSED}), CaseStatus.ORDERED),
}
REGULATOR_ACTIONS = frozenset({CaseAction.ORDER, CaseAction.CLOSE, CaseAction.REOPEN})
STATUS_WORDS = {
    CaseStatus.OPEN: ("已立案", "opened"),
    CaseStatus.ORDERED: ("整改中", "correction ordered"),
    CaseStatus.ANSWERED: ("已回复", "answered"),
    CaseStatus.CLOSED: ("已结案", "closed"),
}


class CaseStepPublic(BaseModel):
    id: int
    action: CaseAction
    actor: str
    role: str
    at: datetime
    note: str
    deadline: date | None
    attachment_name: str | None


class CasePublic(BaseModel):
    id: int
    violation_id: int | None  # None: opened by the daily registry check on a finding
    code: str
    reason_zh: str
    reason_en: str
    company_id: str | None
    site_id: str | None
    guard_id: str | None
    jurisdiction: str
    status: CaseStatus
    deadline: date | None
    overdue: bool
    opened_at: datetime
    updated_at: datetime
    next: list[CaseAction]  # what the asker may do now
    steps: list[CaseStepPublic] = []


def case_scope(scope: Scope) -> ColumnElement[bool]:
    """The cases ``scope`` may see: the regulator its jurisdiction's, a company or firm its own."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(Case.jurisdiction) == scope.jurisdiction
    managed = select(Site.id).where(Site.managed_by == scope.company_id)
    return or_(col(Case.company_id) == scope.company_id, col(Case.site_id).in_(managed))


def _regulator(scope: Scope) -> bool:
    return scope.role in (Role.ADMIN, Role.POLICE)


def allowed(scope: Scope, case: Case) -> list[CaseAction]:
    """The steps ``scope`` may take on ``case`` now (it can already see the case)."""
    steps = [action for action, (fro, _to) in _STEPS.items() if case.status in fro]
    if _regulator(scope):
        return [a for a in steps if a in REGULATOR_ACTIONS]
    return [a for a in steps if a is CaseAction.ANSWER]


def overdue(case: Case, today: date) -> bool:
    return case.status == CaseStatus.ORDERED and case.deadline is not None and case.deadline < today


def _get(session: Session, scope: Scope, case_id: int) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id, case_scope(scope))).first()
    if case is None:
        raise NotFound("case", str(case_id))
    return case


def public(session: Session, scope: Scope, case: Case, today: date, *, steps: bool = False) -> CasePublic:
    shown = [] if not steps else [
        CaseStepPublic.model_validate(step, from_attributes=True)
        for step in session.exec(select(CaseStep).where(CaseStep.case_id == case.id).order_by(col(CaseStep.id)))
    ]  # fmt: skip
    return CasePublic(
        **case.model_dump(exclude={"status"}),
        status=CaseStatus(case.status),
        overdue=overdue(case, today),
        next=allowed(scope, case),
        steps=shown,
    )


def opened(session: Session, case: Case, actor: str, role: str, note: str) -> Case:
    """Add ``case`` with its opening step (who, as what, why); flushed, not committed."""
    session.add(case)
    session.flush()
    session.add(CaseStep(case_id=case.id or 0, action=CaseAction.OPEN, actor=actor, role=role, note=note.strip()))
    return case


def open_case(session: Session, scope: Scope, violation_id: int, note: str) -> Case:
    """Open the case of a violation ``scope`` may see (the regulator only); one case per violation."""
    if not _regulator(scope):
        raise Forbidden("仅监管部门可立案 / only the regulator opens cases", code="forbidden.regulator_only")
    row = session.exec(
        select(Violation, Checkin, Site)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .join(Site, col(Site.id) == col(Checkin.site_id))
        .where(Violation.id == violation_id)
    ).first()
    if row is None or (scope.role is Role.POLICE and row[2].jurisdiction != scope.jurisdiction):
        raise NotFound("violation", str(violation_id))
    violation, checkin, site = row
    if session.exec(select(Case).where(Case.violation_id == violation_id)).first() is not None:
        raise Conflict("该违规已立案 / a case is already open for this violation", code="case.exists")
    case = Case(
        violation_id=violation_id, code=violation.code, reason_zh=violation.reason_zh, reason_en=violation.reason_en,
        company_id=checkin.employer_id, site_id=site.id, guard_id=checkin.guard_id, jurisdiction=site.jurisdiction,
    )  # fmt: skip
    opened(session, case, scope.actor, scope.role.value, note)
    session.commit()
    session.refresh(case)
    return case


def take_step(
    session: Session,
    scope: Scope,
    case_id: int,
    action: CaseAction,
    note: str,
    deadline: date | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> Case:
    """``action`` on the case by ``scope``; Conflict for a step the status does not allow, Forbidden for a
    step that is not the asker's, Unprocessable for a missing note or deadline."""
    case = _get(session, scope, case_id)
    if action not in _STEPS:
        raise Unprocessable(f"无此操作 / no such step: {action}")
    fro, to = _STEPS[action]
    if (action in REGULATOR_ACTIONS) != _regulator(scope):
        raise Forbidden("此操作不属于您的角色 / this step is not yours to take", code="forbidden.case_step")
    if case.status not in fro:
        zh, en = STATUS_WORDS[CaseStatus(case.status)]
        raise Conflict(f"案件当前为「{zh}」，不能执行此操作 / the case is {en}: {action.value} is not possible",
                       code="case.transition")  # fmt: skip
    note = note.strip()
    if not note and action is not CaseAction.CLOSE:
        raise Unprocessable("请填写说明 / a note is required", code="case.note_required")
    if action in (CaseAction.ORDER, CaseAction.REOPEN):
        if deadline is None:
            raise Unprocessable("请填写整改期限 / a deadline is required", code="case.deadline_required")
        case.deadline = deadline
    if attachment is not None and len(attachment[2]) > MAX_ATTACHMENT_BYTES:
        raise Unprocessable("附件不能超过 5 MB / the attachment is larger than 5 MB", code="case.attachment_too_large")
    name, kind, data = attachment if attachment is not None else (None, None, None)
    session.add(CaseStep(case_id=case_id, action=action, actor=scope.actor, role=scope.role.value, note=note,
                         deadline=deadline, attachment_name=name, attachment_type=kind, attachment=data))  # fmt: skip
    case.status, case.updated_at = to, utcnow()
    session.add(case)
    session.commit()
    session.refresh(case)
    return case


def get_case(session: Session, scope: Scope, case_id: int) -> Case:
    return _get(session, scope, case_id)


def list_cases(
    session: Session,
    scope: Scope,
    paging: Paging,
    status: CaseStatus | None = None,
    today: date | None = None,
    only_overdue: bool = False,
) -> Paged[Case]:
    """The cases ``scope`` may see, overdue first, then the latest changed."""
    query = select(Case).where(case_scope(scope))
    if status is not None:
        query = query.where(Case.status == status.value)
    if only_overdue and today is not None:
        query = query.where(Case.status == CaseStatus.ORDERED.value, col(Case.deadline) < today)
    query = query.order_by(col(Case.updated_at).desc(), col(Case.id).desc())
    return fetch(session, query, paging)


def attachment_of(session: Session, scope: Scope, case_id: int, step_id: int) -> CaseStep:
    _get(session, scope, case_id)
    step = session.exec(select(CaseStep).where(CaseStep.id == step_id, CaseStep.case_id == case_id)).first()
    if step is None or step.attachment is None:
        raise NotFound("record", str(step_id))
    return step
