"""The audit log page for administrators: filters (action in words, account, target, days), pages, export.

The export is the filtered log as CSV or XLSX with the actions in Chinese and
English beside their codes; making one is itself written to the log.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import Session, select

from central import spreadsheets
from central.access.audit import audit
from central.access.audit_log import EXPORT_MAX_ROWS, AuditFilter
from central.access.models import AuditEntryPublic, Role
from central.access.scope import Scope
from central.api.deps import PageScopeDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.db.types import utcnow
from central.errors import Unprocessable
from central.paging import fetch
from central.registry.local_time import DEFAULT_ZONE
from central.registry.snapshot import local_date
from central.web.labels import AUDIT, words
from central.web.pager import PagerDep
from central.web.police import forbidden
from central.web.render import lang_of, render

router = APIRouter(include_in_schema=False)

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
HEADERS = ("时间 / time", "账号 / account", "角色 / role", "操作 / action", "Action", "代码 / code",
           "对象 / target", "详情 / detail", "地址 / address")  # fmt: skip


def audit_filter(
    action: Annotated[str | None, Query(max_length=48)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    first: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    last: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
) -> AuditFilter:
    return AuditFilter(action or None, (actor or "").strip() or None, (target or "").strip() or None, first, last)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    ask: PagerDep,
    where: FilterDep,
) -> HTMLResponse:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    found = fetch(session, where.query(DEFAULT_ZONE), ask.paging)
    lang = lang_of(request)
    actions = sorted(((code, words("audit", code, lang)) for code in AUDIT), key=lambda pair: pair[1])
    context = {
        "entries": [AuditEntryPublic.model_validate(e) for e in found.rows],
        "pager": ask.of(found.count),
        "where": where,
        "actions": actions,
        "query": request.url.query,  # the export links keep the filter
    }
    return render(request, "admin_audit.html", scope, context)


def _rows(session: Session, where: AuditFilter) -> list[tuple[object, ...]]:
    query = where.query(DEFAULT_ZONE)
    count = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    if count > EXPORT_MAX_ROWS:
        too_many = f"超过 {EXPORT_MAX_ROWS} 条，请缩小范围 / more than {EXPORT_MAX_ROWS} entries: narrow the filter"
        raise Unprocessable(too_many, code="audit.export_too_large")
    lines: list[tuple[object, ...]] = [HEADERS]
    for entry in session.exec(query).all():
        local = entry.at.astimezone(ZoneInfo(DEFAULT_ZONE)).replace(tzinfo=None)  # sheets show local time
        lines.append((local, entry.actor, entry.role, words("audit", entry.action, "zh"),
                      words("audit", entry.action, "en"), entry.action, entry.target, entry.detail,
                      entry.address or ""))  # fmt: skip
    return lines


@router.get("/admin/audit/export.{fmt}", response_model=None)
def export_audit(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    fmt: Literal["csv", "xlsx"],
    where: FilterDep,
) -> Response:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    lines = _rows(session, where)
    body = (
        spreadsheets.to_csv(lines) if fmt == "csv" else spreadsheets.to_xlsx(lines, "审计日志 audit", bold_last=False)
    )
    _record(session, scope, fmt, where, len(lines) - 1)
    name = f"audit-{local_date(utcnow())}.{fmt}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _record(session: Session, scope: Scope, fmt: str, where: AuditFilter, rows: int) -> None:
    audit(session, scope, f"audit.export.{fmt}", "", f"{where.describe()} rows={rows}")
