"""Dashboard pages for the police (live alerts, violations overview) and the administrator (accounts, keys, audit).

The live alerts page renders the current alerts and then follows
``/api/alerts/stream``; its buttons post to ``/api/alerts/{id}/status``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from central.access.models import Account, AccountPublic, ApiKey, ApiKeyPublic, AuditEntry, AuditEntryPublic, Role
from central.access.scope import Scope
from central.alerts import queries as alert_queries
from central.api.deps import PageScopeDep, SessionDep, SettingsDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.checkins import queries as checkin_queries
from central.checkins.rules import CATALOGUE
from central.db.types import utcnow
from central.paging import Paging, fetch
from central.registry.snapshot import DEFAULT_ZONE
from central.web.i18n import MESSAGES
from central.web.labels import Names
from central.web.render import lang_of, render

router = APIRouter(include_in_schema=False)


def forbidden(request: Request, scope: Scope) -> HTMLResponse:
    return render(request, "error.html", scope, {"message": "forbidden"}, status_code=403)


@router.get("/police/alerts")
def alerts_page(request: Request, session: SessionDep, scope: PageScopeDep, settings: SettingsDep) -> HTMLResponse:
    """The live alerts page: the latest alerts now, and every new one pushed as it happens."""
    if not scope.sees_alerts:
        return forbidden(request, scope)
    since = utcnow()
    listed = alert_queries.list_alerts(session, scope, status=None, jurisdiction=None, paging=Paging(limit=50))
    details = []
    for item in listed.rows:
        alert = alert_queries.get_alert(session, scope, item.alert_id)
        if alert is not None:
            details.append(alert_queries.alert_detail(session, alert, settings.data_dir))
    index = 0 if lang_of(request) == "zh" else 1
    messages = {key: pair[index] for key, pair in MESSAGES.items()}
    return render(
        request,
        "alerts.html",
        scope,
        {"alerts": details, "alerts_total": listed.count, "since": since.isoformat(), "messages": messages},
    )


@router.get("/police/violations")
def overview_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    date_from: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    date_to: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
) -> HTMLResponse:
    """For regulators: violations per site and rule over a range of days."""
    if not scope.sees_alerts:
        return forbidden(request, scope)
    zone = ZoneInfo(DEFAULT_ZONE)
    end = date_to or datetime.now(zone).date()
    start = date_from or end - timedelta(days=29)
    rows = checkin_queries.violation_overview(
        session,
        scope,
        datetime.combine(start, time(0), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
    )
    reasons = {code: (zh, en) for code, (zh, en, _article) in CATALOGUE.items()}
    return render(request, "overview.html", scope, {"rows": rows, "start": start, "end": end, "reasons": reasons})


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, scope: PageScopeDep) -> HTMLResponse:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    accounts = [AccountPublic.model_validate(a) for a in session.exec(select(Account).order_by(col(Account.id))).all()]
    keys = [ApiKeyPublic.model_validate(k) for k in session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()]
    entries = fetch(session, select(AuditEntry).order_by(col(AuditEntry.id).desc()), Paging(limit=200))
    audit = [AuditEntryPublic.model_validate(e) for e in entries.rows]
    names = Names.load(session, (), [a.company_id for a in accounts])
    context = {"accounts": accounts, "keys": keys, "audit": audit, "audit_total": entries.count, "names": names}
    return render(request, "admin.html", scope, context)
