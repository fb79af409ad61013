"""Collection coverage (采集率): per company, guards with a portrait, with fingerprints, with both; who lacks what.

Scoped like the registry (``central.registry.coverage``): the administrator
every guard, the police their jurisdiction's companies, a company or firm its
own guards. A filter on another tenant's company finds nothing, as for one
that does not exist. The police's reads of the missing list are audited, like
their other look-ups of guards.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from central.access.audit import audit
from central.api.deps import ScopeDep, SessionDep
from central.api.paging import Page, PagingDep, page
from central.registry import coverage
from central.registry.coverage import CoverageFilter, Lack

router = APIRouter(prefix="/api/coverage", tags=["coverage"])


def coverage_filter(
    company_id: Annotated[str | None, Query(max_length=32, description="one company's guards")] = None,
    jurisdiction: Annotated[str | None, Query(max_length=32, description="companies with sites there")] = None,
    lacks: Annotated[Lack | None, Query(description="the missing list: guards lacking this (default: either)")] = None,
) -> CoverageFilter:
    return CoverageFilter(company_id=company_id or None, jurisdiction=jurisdiction or None, lacks=lacks)


FilterDep = Annotated[CoverageFilter, Depends(coverage_filter)]


class CoveragePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # from a CoverageRow, its rate included

    company_id: str | None  # None: guards without an employer (administrator only); on the total line too
    company_name_zh: str | None
    company_name_en: str | None
    guards: int
    with_portrait: int
    with_fingerprint: int
    with_both: int
    rate: float | None  # 采集率: percent with both, one decimal; None without guards


class CoveragePage(Page[CoveragePublic]):
    total: CoveragePublic  # every guard the filter matches, not only this page's companies


class MissingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # from a MissingGuard, what it lacks included

    guard_id: str
    name_zh: str
    name_en: str
    company_id: str | None
    company_name_zh: str | None
    has_portrait: bool
    fingers: int
    lacks: list[Lack]


@router.get("")
def coverage_summary(session: SessionDep, scope: ScopeDep, where: FilterDep, at: PagingDep) -> CoveragePage:
    """Per company: guards, with portrait, with fingerprints, with both, and the rate; with the total."""
    rows = coverage.summary(session, scope, where, at).map(CoveragePublic.model_validate)
    overall = CoveragePublic.model_validate(coverage.total(session, scope, where))
    return CoveragePage(data=rows.rows, count=rows.count, limit=at.limit, offset=at.offset, total=overall)


@router.get("/missing")
def coverage_missing(session: SessionDep, scope: ScopeDep, where: FilterDep, at: PagingDep) -> Page[MissingPublic]:
    """Guards lacking a portrait or fingerprints (``lacks`` narrows to one), by company and guard id."""
    found = coverage.missing(session, scope, where, at)
    if scope.is_police:  # the police's look-ups of guards are audited
        audit(session, scope, "coverage.missing", where.company_id or "", f"{found.count} guards")
    return page(found.map(MissingPublic.model_validate), at)
