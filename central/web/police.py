"""Dashboard pages for the police (live alerts, violations overview) and the administrator (accounts, keys, audit).

The live alerts page renders the current alerts (filtered by status, day and
escalation) with the card holder of each, and the open registry hits, then
follows ``/api/alerts/stream``; its buttons post to ``/api/alerts/{id}/status``
(``static/alerts.js``: sound, notification, the title, the open steps).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from central.access.audit import audit
from central.access.auth import find_account
from central.access.models import Account, AccountPublic, ApiKey, ApiKeyPublic, AuditEntry, AuditEntryPublic, Role
from central.access.scope import Scope
from central.alerts import queries as alert_queries
from central.alerts.models import AlertDetail, AlertStatus, RegistryHitStatus
from central.api.deps import PageScopeDep, PortraitsDep, SessionDep, SettingsDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.checkins import queries as checkin_queries
from central.checkins.rules import CATALOGUE
from central.db.types import utcnow
from central.paging import Paging, fetch
from central.registry.snapshot import DEFAULT_ZONE
from central.watchlist.portraits import Portraits
from central.web.i18n import MESSAGES
from central.web.labels import Names
from central.web.render import lang_of, render

router = APIRouter(include_in_schema=False)


def forbidden(request: Request, scope: Scope) -> HTMLResponse:
    return render(request, "error.html", scope, {"message": "forbidden"}, status_code=403)


@router.get("/police/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    portraits: PortraitsDep,
    status: AlertStatus | None = None,
    date_from: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    date_to: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
    escalated: bool = False,
) -> HTMLResponse:
    """The live alerts page: the latest alerts now (by status, day, escalation), and every new one as it happens."""
    if not scope.sees_alerts:
        return forbidden(request, scope)
    since = utcnow()
    occurred = alert_queries.local_days(date_from, date_to)
    listed = alert_queries.list_alerts(
        session, scope, status=status, jurisdiction=None, paging=Paging(limit=50), occurred=occurred,
        escalated=True if escalated else None,
    )  # fmt: skip
    details = _cards(session, scope, portraits, [item.alert_id for item in listed.rows])
    hits = alert_queries.list_registry_hits(session, scope, status=RegistryHitStatus.OPEN, paging=Paging(limit=20))
    if hits.count:  # guards' names shown: a look-up of persons, as through the API
        audit(session, scope, "registry_hit.list", scope.jurisdiction or "*", f"{hits.count} hits (alerts page)")
    index = 0 if lang_of(request) == "zh" else 1
    messages = {key: pair[index] for key, pair in MESSAGES.items()}
    context = {
        "alerts": details,
        "alerts_total": listed.count,
        "since": since.isoformat(),
        "messages": messages,
        "hits": hits.rows,
        "statuses": list(AlertStatus),
        "filters": {"status": status.value if status else "", "from": date_from, "to": date_to, "escalated": escalated},
        "supervisor": _is_supervisor(session, scope),
    }
    return render(request, "alerts.html", scope, context)


def _cards(session: Session, scope: Scope, portraits: Portraits, alert_ids: list[uuid.UUID]) -> list[AlertDetail]:
    """The alerts as cards: site, watchlist entry, history, and the card holder as registered."""
    cards = []
    for alert_id in alert_ids:
        alert = alert_queries.get_alert(session, scope, alert_id)
        if alert is not None:
            holder = checkin_queries.card_holder(session, alert_id)
            cards.append(alert_queries.alert_detail(session, alert, portraits, holder))
    return cards


def _is_supervisor(session: Session, scope: Scope) -> bool:
    """A supervisor (值班领导) of the jurisdiction: alerts not acknowledged in time are escalated to them."""
    account = find_account(session, scope.actor) if scope.is_police else None
    return bool(account and account.supervisor)


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
    return render(request, "admin.html", scope, admin_context(session))


def admin_context(session: Session) -> dict[str, Any]:
    """What the administration page shows: accounts, API keys, the latest of the audit log."""
    accounts = [AccountPublic.model_validate(a) for a in session.exec(select(Account).order_by(col(Account.id))).all()]
    keys = [ApiKeyPublic.model_validate(k) for k in session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()]
    entries = fetch(session, select(AuditEntry).order_by(col(AuditEntry.id).desc()), Paging(limit=200))
    audit = [AuditEntryPublic.model_validate(e) for e in entries.rows]
    names = Names.load(session, (), [a.company_id for a in accounts])
    roles = [role.value for role in Role]
    return {"accounts": accounts, "keys": keys, "audit": audit, "audit_total": entries.count, "names": names,
            "roles": roles}  # fmt: skip
