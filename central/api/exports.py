"""Exports, scoped and audited: timesheets of one site (``central.attendance.timesheets``) and collection coverage.

Every file goes through ``central.spreadsheets`` (CSV with a byte-order mark, XLSX; formula-like cells neutralised).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from central import spreadsheets
from central.access.audit import audit
from central.api.coverage import FilterDep
from central.api.deps import ScopeDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.attendance import queries as attendance_queries
from central.attendance import timesheets
from central.errors import found
from central.registry import coverage
from central.registry import queries as registry_queries

router = APIRouter(prefix="/api/exports", tags=["exports"])

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE: dict[str, Any] = {"response_class": Response, "responses": {200: {"content": {m: {} for m in MEDIA.values()}}}}


@router.get("/timesheet.{fmt}", **FILE)
def timesheet(
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    scope: ScopeDep,
    site_id: str,
    day: Annotated[date, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="the day, or a day of the month")],
    kind: Literal["daily", "monthly"] = "daily",
    group: Literal["site", "guard"] = "site",
    layout: Literal["table", "matrix"] = "table",
) -> Response:
    """The site's daily timesheet for ``date``, or its monthly one for the month of ``date``.

    ``layout=matrix`` (monthly CSV): one row per guard and one column per day, as the XLSX's second sheet.
    """
    site = found(registry_queries.get_site(session, scope, site_id), "site")
    employer_id = attendance_queries.attendance_employer(scope, site)
    if kind == "daily":
        sheet = timesheets.daily(session, site_ids=[site.id], employer_id=employer_id, day=day)
    else:
        sheet = timesheets.monthly(session, site_ids=[site.id], employer_id=employer_id, month=day, group=group)
    if fmt == "xlsx":
        body = sheet.to_xlsx()
    else:
        body = spreadsheets.to_csv(sheet.matrix()) if layout == "matrix" and kind == "monthly" else sheet.to_csv()
    audit(session, scope, f"export.timesheet.{fmt}", site.id, f"{kind} {sheet.first}..{sheet.last}")
    return _download(body, fmt, f"timesheet-{site.id}-{kind}-{sheet.first:%Y%m%d}.{fmt}")


def _download(body: bytes, fmt: str, name: str) -> Response:
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _as_file(lines: list[tuple[object, ...]], fmt: str, title: str, *, bold_last: bool = False) -> bytes:
    return spreadsheets.to_csv(lines) if fmt == "csv" else spreadsheets.to_xlsx(lines, title, bold_last=bold_last)


@router.get("/coverage.{fmt}", **FILE)
def coverage_summary(fmt: Literal["csv", "xlsx"], session: SessionDep, scope: ScopeDep, where: FilterDep) -> Response:
    """采集率 per company, with the total line: what ``GET /api/coverage`` answers, every company."""
    rows = coverage.all_summary(session, scope, where)
    lines = coverage.summary_table(rows, coverage.total(session, scope, where))
    audit(session, scope, f"export.coverage.{fmt}", where.company_id or "", f"{len(rows)} companies")
    return _download(_as_file(lines, fmt, "采集率 coverage", bold_last=True), fmt, f"coverage.{fmt}")


@router.get("/coverage-missing.{fmt}", **FILE)
def coverage_missing(fmt: Literal["csv", "xlsx"], session: SessionDep, scope: ScopeDep, where: FilterDep) -> Response:
    """Every guard lacking a portrait or fingerprints (``lacks`` narrows to one), with what each lacks."""
    rows = coverage.all_missing(session, scope, where)
    audit(session, scope, f"export.coverage_missing.{fmt}", where.company_id or "", f"{len(rows)} guards")
    name = f"coverage-missing-{where.lacks}.{fmt}" if where.lacks else f"coverage-missing.{fmt}"
    return _download(_as_file(coverage.missing_table(rows), fmt, "未采集 missing"), fmt, name)
