"""``GET /api/registry/check``: the registry's findings without a tap (``central.compliance.check``), per audience.

The administrator sees every finding; the police those at the sites of their
jurisdiction and those of companies serving there; a company or property firm
its own (its licence, its contracts, its guards) and those at the sites it manages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.api.deps import ScopeDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.compliance import follow_up
from central.compliance.check import DEFAULT_WITHIN_DAYS, Finding, check_registry, names
from central.db.types import utcnow
from central.registry.models import ServiceContract
from central.registry.queries import visible_sites
from central.registry.snapshot import local_date

router = APIRouter(prefix="/api/registry", tags=["registry check"])


class FindingPublic(BaseModel):
    code: str
    reason_zh: str
    reason_en: str
    article: str
    company_id: str | None
    company_name: str | None
    site_id: str | None
    site_name: str | None
    guard_id: str | None
    guard_name: str | None
    due: date | None


class RegistryCheckPublic(BaseModel):
    on: date
    within_days: int
    findings: list[FindingPublic]


def _visible(session: Session, scope: Scope, findings: list[Finding]) -> list[Finding]:
    if scope.role is Role.ADMIN:
        return findings
    sites = {site.id for site in visible_sites(session, scope)}
    if scope.role is Role.POLICE:
        serving = set(session.exec(select(ServiceContract.company_id).where(col(ServiceContract.site_id).in_(sites))))
        return [f for f in findings if (f.site_id in sites) or (f.site_id is None and f.company_id in serving)]
    return [f for f in findings if f.company_id == scope.company_id or f.site_id in sites]


@router.get("/check")
def registry_check(
    session: SessionDep,
    scope: ScopeDep,
    on: Annotated[
        date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="the day checked (default: today)")
    ] = None,
    within: Annotated[int, Query(ge=1, le=366, description="days ahead for what is ending")] = DEFAULT_WITHIN_DAYS,
) -> RegistryCheckPublic:
    """What the registry breaks without anyone tapping: rostered guards' standing rules, venues without a
    licensed company's contract, licences, filings and contracts ending within ``within`` days."""
    day = on or local_date(utcnow())
    findings = _visible(session, scope, check_registry(session, day, within))
    shown = names(session, findings)
    return RegistryCheckPublic(
        on=day,
        within_days=within,
        findings=[
            FindingPublic(
                **f.as_dict(),
                company_name=shown.get(f.company_id or ""),
                site_name=shown.get(f.site_id or ""),
                guard_name=shown.get(f.guard_id or ""),
            )
            for f in findings
        ],
    )


class ReminderPublic(BaseModel):
    id: int
    code: str
    reason_zh: str
    reason_en: str
    article: str
    company_id: str | None
    site_id: str | None
    due: date
    created_at: datetime


@router.get("/reminders")
def registry_reminders(session: SessionDep, scope: ScopeDep) -> list[ReminderPublic]:
    """到期提醒 / what the daily check found ending soon (not yet ended), soonest first, per audience."""
    found = follow_up.reminders(session, scope, local_date(utcnow()))
    return [ReminderPublic.model_validate(r, from_attributes=True) for r in found]
