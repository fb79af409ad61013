"""The monthly report (``central.reports``) over HTTP: as rows, and as a file; scoped and audited.

The administrator asks for any jurisdiction or company; the police get their
own jurisdiction's report, a company or property firm its own (whatever the
query says).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel
from sqlmodel import Session

from central import spreadsheets
from central.access.audit import audit
from central.access.models import Role
from central.access.scope import Scope
from central.api.deps import ScopeDep, SessionDep
from central.api.exports import FILE, MEDIA
from central.errors import Unprocessable
from central.reports.monthly import monthly_report
from central.reports.rows import Row, report_rows

router = APIRouter(prefix="/api/reports", tags=["reports"])

MonthQuery = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM (2000-2099)")]
IdQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]


class ReportRowPublic(BaseModel):
    section: str
    item: str
    value: str | int | float


class MonthlyReportPublic(BaseModel):
    month: str
    jurisdiction: str | None
    company_id: str | None
    rows: list[ReportRowPublic]


def scoped(scope: Scope, jurisdiction: str | None, company_id: str | None) -> tuple[str | None, str | None]:
    """Whose report ``scope`` may see: its own jurisdiction or company, whatever was asked."""
    if scope.role is Role.POLICE:
        return scope.jurisdiction, company_id
    if scope.role in (Role.COMPANY, Role.FIRM):
        return None, scope.company_id
    return jurisdiction, company_id


def report_for(
    session: Session, scope: Scope, month: str, jurisdiction: str | None, company_id: str | None
) -> tuple[str | None, str | None, list[Row]]:
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:  # year 0000: the pattern lets it through
        raise Unprocessable(f"月份无效 / no such month: {month}") from exc
    jurisdiction, company_id = scoped(scope, jurisdiction or None, company_id or None)
    report = monthly_report(session, first, jurisdiction=jurisdiction, company_id=company_id)
    return jurisdiction, company_id, report_rows(session, report)


@dataclass(frozen=True)
class Asked:
    month: str
    jurisdiction: str | None
    company_id: str | None


def asked(
    month: MonthQuery,
    jurisdiction: IdQuery = None,
    company_id: IdQuery = None,
) -> Asked:
    return Asked(month, jurisdiction, company_id)


AskedDep = Annotated[Asked, Depends(asked)]


@router.get("/monthly")
def monthly(session: SessionDep, scope: ScopeDep, ask: AskedDep) -> MonthlyReportPublic:
    """月度统计 / the month's statistics: guards, 持证率, 采集率, attendance, violations, alerts, registry check."""
    month = ask.month
    jurisdiction, company_id, rows = report_for(session, scope, month, ask.jurisdiction, ask.company_id)
    return MonthlyReportPublic(
        month=month,
        jurisdiction=jurisdiction,
        company_id=company_id,
        rows=[
            ReportRowPublic(section=s, item=i, value=v if isinstance(v, int | float) else str(v)) for s, i, v in rows
        ],
    )


@router.get("/monthly.{fmt}", **FILE)
def monthly_file(fmt: Literal["csv", "xlsx"], session: SessionDep, scope: ScopeDep, ask: AskedDep) -> Response:
    month = ask.month
    jurisdiction, company_id, rows = report_for(session, scope, month, ask.jurisdiction, ask.company_id)
    table = [("分类 / section", "项目 / item", "数值 / value"), *rows]
    body = spreadsheets.to_csv(table) if fmt == "csv" else spreadsheets.to_xlsx(table, month, bold_last=False)
    audit(session, scope, f"export.report.{fmt}", month, f"jurisdiction={jurisdiction} company={company_id}")
    name = f"report-{month}-{jurisdiction or company_id or 'all'}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
