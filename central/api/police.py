"""Routes for the police: alerts (list, detail, live stream, workflow), the watchlist, the violations overview.

Police accounts see their own jurisdiction; the administrator sees all;
employers get 403. Opening an alert or a watchlist entry is a look-up of a
person and is written to the audit log, as is every workflow step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from central.access.audit import audit
from central.alerts import queries as alert_queries
from central.alerts.live import AlertHub, alert_events, resume_point
from central.alerts.models import AlertDetail, AlertPublic, AlertStatus, RegistryHitPublic, RegistryHitStatus
from central.api.deps import PoliceScopeDep, PortraitsDep, SessionDep
from central.api.operations import FIRST_DAY, LAST_DAY
from central.api.paging import Page, PagingDep, page
from central.checkins import queries as checkin_queries
from central.checkins.models import ViolationCount
from central.errors import Unprocessable, found
from central.registry import queries as registry_queries
from central.registry.snapshot import DEFAULT_ZONE
from central.watchlist import queries as watchlist_queries
from central.watchlist.models import WatchlistPublic

router = APIRouter(prefix="/api", tags=["police"])


class AlertStatusChange(BaseModel):
    status: AlertStatus
    note: str = Field(default="", max_length=500)


@router.get("/alerts")
def alerts(
    session: SessionDep,
    scope: PoliceScopeDep,
    paging: PagingDep,
    status: AlertStatus | None = None,
    jurisdiction: str | None = None,
    date_from: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    date_to: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
    escalated: bool | None = None,
) -> Page[AlertPublic]:
    """Wanted-person matches, newest first; ``from`` / ``to``: days (Beijing time) of the match, inclusive;
    ``escalated``: only those escalated to the supervisors (true) or not (false)."""
    occurred = alert_queries.local_days(date_from, date_to)
    listed = alert_queries.list_alerts(
        session, scope, status=status, jurisdiction=jurisdiction, paging=paging, occurred=occurred, escalated=escalated
    )
    return page(listed, paging)


@router.get("/alerts/stream", response_class=StreamingResponse)
async def alert_stream(
    request: Request,
    scope: PoliceScopeDep,
    since: Annotated[str | None, Query(max_length=40, description="resume after this time (RFC 3339)")] = None,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    """Server-sent events: an ``alert`` event (the alert's detail) for each new alert, status change or
    escalation, and a ``registry_hit`` event for each registered guard newly found on the wanted list.

    The stream ends after a while and the browser reconnects with ``Last-Event-ID``; changes in between are
    sent again, so a page misses none.
    """
    hub: AlertHub = request.app.state.alert_hub
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    body = alert_events(hub, scope, resume_point(last_event_id, since))
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


@router.get("/alerts/{alert_id}")
def alert(alert_id: uuid.UUID, session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep) -> AlertDetail:
    """One alert with its site, watchlist entry, the card holder as registered, and workflow history."""
    alert = found(alert_queries.get_alert(session, scope, alert_id), "alert")
    # Read before the audit entry's commit: a purge in between must not leave nothing to answer with.
    guard_id = checkin_queries.guard_of(session, alert_id)
    guard = registry_queries.get_guard(session, scope, guard_id) if guard_id else None
    detail = alert_queries.alert_detail(session, alert, portraits, guard)
    audit(session, scope, "alert.view", str(alert_id), alert.watchlist_entry_id)
    return detail


@router.post("/alerts/{alert_id}/status")
def set_alert_status(
    alert_id: uuid.UUID, change: AlertStatusChange, session: SessionDep, scope: PoliceScopeDep
) -> AlertPublic:
    """Acknowledge, dispatch, or mark a match false-positive; who and when are recorded."""
    alert = found(alert_queries.get_alert(session, scope, alert_id), "alert")
    guard_id = checkin_queries.guard_of(session, alert_id)
    updated = alert_queries.decide(session, scope, alert, change.status, change.note, guard_id)
    audit(session, scope, "alert.status", str(alert_id), f"{change.status.value} {change.note}".strip())
    return alert_queries.alert_public(updated)


@router.get("/police/registry-hits")
def registry_hits(
    session: SessionDep, scope: PoliceScopeDep, paging: PagingDep, status: RegistryHitStatus | None = None
) -> Page[RegistryHitPublic]:
    """Registered guards whose ID number is on the wanted list (比中方式: 身份证号), found by registry sweeps."""
    hits = alert_queries.list_registry_hits(session, scope, status=status, paging=paging)
    audit(session, scope, "registry_hit.list", scope.jurisdiction or "*", f"{hits.count} hits")
    return page(hits, paging)


@router.get("/watchlist")
def watchlist(
    session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep, paging: PagingDep
) -> Page[WatchlistPublic]:
    """Wanted-persons entries of the jurisdiction (changed through the editor, ``/api/watchlist`` writes)."""
    entries = watchlist_queries.list_watchlist(session, scope, portraits, paging)
    audit(session, scope, "watchlist.list", scope.jurisdiction or "*", f"{entries.count} entries")
    return page(entries, paging)


@router.get("/watchlist/{entry_id}")
def watchlist_entry(
    entry_id: str, session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep
) -> WatchlistPublic:
    entry = watchlist_queries.get_watchlist_entry(session, scope, entry_id)
    # Read before the audit entry's commit: an entry removed in between must not leave nothing to answer with.
    shown = watchlist_queries.watchlist_public(entry, bool(portraits.present([entry.id]))) if entry else None
    audit(session, scope, "person.lookup", f"watchlist:{entry_id}", "found" if entry else "not found")
    return found(shown, "watchlist_entry")


@router.get("/watchlist/{entry_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def watchlist_photo(entry_id: str, session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep) -> Response:
    entry = watchlist_queries.get_watchlist_entry(session, scope, entry_id)
    jpeg = found(portraits.get(entry.id) if entry else None, "watchlist_photo")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/police/violations")
def violations_overview(
    session: SessionDep,
    scope: PoliceScopeDep,
    paging: PagingDep,
    date_from: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    date_to: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
) -> Page[ViolationCount]:
    """For regulators: violations per site and rule over a range of local days (default: the last 30)."""
    zone = ZoneInfo(DEFAULT_ZONE)
    end_day = date_to or datetime.now(zone).date()
    start_day = date_from or end_day - timedelta(days=29)
    if end_day < start_day:
        raise Unprocessable("结束日期早于开始日期 / 'to' is before 'from'", code="invalid.date_range")
    start = datetime.combine(start_day, time(0), tzinfo=zone)
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=zone)
    return page(paging.slice(checkin_queries.violation_overview(session, scope, start, end)), paging)
