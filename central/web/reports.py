"""The monthly report page: the month's statistics for the user's jurisdiction or company, printable."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from central.access.models import Role
from central.api.deps import PageScopeDep, SessionDep
from central.api.reports import report_for
from central.db.types import utcnow
from central.registry.queries import display_names
from central.registry.snapshot import local_date
from central.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/reports/monthly")
def monthly_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    month: Annotated[str | None, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")] = None,
    jurisdiction: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")] = None,
) -> HTMLResponse:
    shown = month or f"{local_date(utcnow()).replace(day=1) - timedelta(days=1):%Y-%m}"  # the month just ended
    asked = jurisdiction if scope.role is Role.ADMIN else None
    jurisdiction_shown, company_id, rows = report_for(session, scope, shown, asked, None)
    query = urlencode({k: v for k, v in {"month": shown, "jurisdiction": jurisdiction_shown}.items() if v})
    context = {
        "month": shown,
        "jurisdiction": jurisdiction_shown,
        "company_id": company_id,
        "company_name": display_names(session, company_ids=[company_id]).get(company_id or "", company_id),
        "sections": [(name, list(items)) for name, items in groupby(rows, key=lambda row: row[0])],
        "query": query,
        "may_choose_jurisdiction": scope.role is Role.ADMIN,
    }
    return render(request, "report.html", scope, context)
