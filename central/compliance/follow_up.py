"""What the daily registry check leaves behind: a case for each finding that breaks a rule, a reminder for
what ends soon.

A finding that breaks a rule now (a guard rostered without a certificate, a
site with rostered guards and no contract, a venue without a licensed
company's contract, …) is opened as a case for the police of the site, once:
while a case of the same finding key is not closed, the check opens none
again. What only ends soon (a licence, filing or contract, ``Finding.due``)
is a reminder, one per finding and end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, or_, select

from central.access.models import Role
from central.access.scope import Scope
from central.cases.models import Case, CaseStatus
from central.cases.workflow import opened
from central.compliance.check import Finding
from central.compliance.models import Reminder
from central.registry.models import ServiceContract, Site
from central.registry.queries import site_scope

SYSTEM = "system"  # the actor and role of a step no person took


@dataclass(frozen=True, slots=True)
class FollowUp:
    opened: list[int]  # the cases opened
    reminded: list[int]  # the reminders left


def finding_key(finding: Finding) -> str:
    """What a finding is about: its rule and whom, the same from one day's check to the next."""
    return ":".join((finding.code, finding.company_id or "", finding.site_id or "", finding.guard_id or ""))


def _open_case(session: Session, finding: Finding, key: str) -> int | None:
    """The case of ``finding`` (a new one), or None when one is open already or its site is gone."""
    already = select(Case.id).where(Case.finding_key == key, Case.status != CaseStatus.CLOSED.value)
    site = session.get(Site, finding.site_id) if finding.site_id else None
    if site is None or session.exec(already).first() is not None:
        return None
    case = Case(
        finding_key=key, code=finding.code, reason_zh=finding.reason_zh, reason_en=finding.reason_en,
        company_id=finding.company_id, site_id=site.id, guard_id=finding.guard_id, jurisdiction=site.jurisdiction,
    )  # fmt: skip
    note = f"登记核查发现 / found by the registry check: {finding.article}"
    return opened(session, case, SYSTEM, SYSTEM, note).id


def _remind(session: Session, finding: Finding, key: str) -> int | None:
    assert finding.due is not None
    key = f"{key}:{finding.due.isoformat()}"
    if session.exec(select(Reminder.id).where(Reminder.key == key)).first() is not None:
        return None
    reminder = Reminder(
        key=key, code=finding.code, reason_zh=finding.reason_zh, reason_en=finding.reason_en,
        article=finding.article, company_id=finding.company_id, site_id=finding.site_id, due=finding.due,
    )  # fmt: skip
    session.add(reminder)
    session.flush()
    return reminder.id


def follow_up(session: Session, findings: list[Finding]) -> FollowUp:
    """Open the cases and leave the reminders ``findings`` call for (none twice); committed."""
    opened: list[int] = []
    reminded: list[int] = []
    for finding in findings:
        key = finding_key(finding)
        made = _remind(session, finding, key) if finding.due is not None else _open_case(session, finding, key)
        if made is not None:
            (reminded if finding.due is not None else opened).append(made)
    session.commit()
    return FollowUp(opened, reminded)


def reminder_scope(scope: Scope) -> ColumnElement[bool]:
    """The reminders ``scope`` may see: the police those of its sites and of companies serving there,
    a company or firm its own and those of the sites it manages."""
    if scope.role is Role.ADMIN:
        return true()
    sites = select(Site.id).where(site_scope(scope))
    if scope.role is Role.POLICE:
        serving = select(ServiceContract.company_id).where(col(ServiceContract.site_id).in_(sites))
        return or_(
            col(Reminder.site_id).in_(sites), col(Reminder.site_id).is_(None) & col(Reminder.company_id).in_(serving)
        )
    return or_(col(Reminder.company_id) == scope.company_id, col(Reminder.site_id).in_(sites))


def reminders(session: Session, scope: Scope, today: date, limit: int = 200) -> list[Reminder]:
    """The reminders ``scope`` may see of what has not ended by ``today``, soonest end first."""
    query = select(Reminder).where(reminder_scope(scope), col(Reminder.due) >= today)
    query = query.order_by(col(Reminder.due), col(Reminder.id))
    return list(session.exec(query.limit(limit)).all())
