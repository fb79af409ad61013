"""Timesheet exports (CSV and XLSX, ``central.attendance.timesheets``) of one site, scoped and audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from central.access.audit import audit
from central.api.deps import ScopeDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.attendance import queries as attendance_queries
from central.attendance import timesheets
from central.errors import found
from central.registry import queries as registry_queries

router = APIRouter(prefix="/api/exports", tags=["exports"])

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/timesheet.{fmt}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA.values()}}},
)
def timesheet(
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    scope: ScopeDep,
    site_id: str,
    day: Annotated[date, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="the day, or a day of the month")],
    kind: Literal["daily", "monthly"] = "daily",
    group: Literal["site", "guard"] = "site",
) -> Response:
    """The site's daily timesheet for ``date``, or its monthly one for the month of ``date``."""
    site = found(registry_queries.get_site(session, scope, site_id), "site")
    employer_id = attendance_queries.attendance_employer(scope, site)
    if kind == "daily":
        sheet = timesheets.daily(session, site_ids=[site.id], employer_id=employer_id, day=day)
    else:
        sheet = timesheets.monthly(session, site_ids=[site.id], employer_id=employer_id, month=day, group=group)
    body = sheet.to_csv() if fmt == "csv" else sheet.to_xlsx()
    audit(session, scope, f"export.timesheet.{fmt}", site.id, f"{kind} {sheet.first}..{sheet.last}")
    name = f"timesheet-{site.id}-{kind}-{sheet.first:%Y%m%d}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
