"""Routes for property firms and security companies (and the police and administrators in their scope).

Sites, today's on-duty board, the attendance calendar, attendance and
late / early / absent, violations, check-ins with their photos, and guards
(ID numbers masked but for the police and the administrator). Every query
is scoped; a foreign id answers 404 like an unknown one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session

from central.access.audit import audit
from central.access.scope import Scope
from central.api.deps import PhotoStoreDep, ScopeDep, SessionDep
from central.api.paging import Page, PagingDep, page
from central.attendance import queries as attendance_queries
from central.attendance.models import CalendarDay, OnDutyRow
from central.attendance.report import day_report
from central.attendance.rules import AttendanceRow, local_day_bounds
from central.checkins import queries as checkin_queries
from central.checkins.models import CheckinPublic, ViolationPublic
from central.errors import found
from central.registry import queries as registry_queries
from central.registry.models import GuardPublic, Site, SitePublic

router = APIRouter(prefix="/api", tags=["attendance"])

# Bounds keep day arithmetic (the next midnight, a month's end) inside what datetime can hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 1)
DateQuery = Annotated[
    date, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY, description="local date at the site, YYYY-MM-DD")
]
OptionalDateQuery = Annotated[date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY)]


def _site(session: Session, scope: Scope, site_id: str) -> Site:
    return found(registry_queries.get_site(session, scope, site_id), "site")


def scoped_site(site_id: str, session: SessionDep, scope: ScopeDep) -> Site:
    """The site of the path, if the asker may see it; 404 otherwise."""
    return _site(session, scope, site_id)


SiteDep = Annotated[Site, Depends(scoped_site)]


def today_at(site: Site) -> date:
    return datetime.now(ZoneInfo(site.timezone)).date()


@router.get("/sites")
def sites(session: SessionDep, scope: ScopeDep, paging: PagingDep) -> Page[SitePublic]:
    """The sites this account may see."""
    return page(registry_queries.list_sites(session, scope, paging), paging)


@router.get("/sites/{site_id}/on-duty")
def on_duty(
    session: SessionDep, scope: ScopeDep, site: SiteDep, paging: PagingDep, day: OptionalDateQuery = None
) -> Page[OnDutyRow]:
    """Today's board (or ``date``'s): who tapped in at the site and is still on duty."""
    return page(paging.slice(attendance_queries.on_duty(session, scope, site, day or today_at(site))), paging)


@router.get("/sites/{site_id}/calendar")
def calendar(
    session: SessionDep,
    scope: ScopeDep,
    site: SiteDep,
    paging: PagingDep,
    month: Annotated[str | None, Query(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")] = None,
) -> Page[CalendarDay]:
    """The month's attendance calendar at the site: guards, taps and violations per day."""
    first = date.fromisoformat(f"{month}-01") if month else today_at(site).replace(day=1)
    return page(paging.slice(attendance_queries.calendar(session, scope, site, first)), paging)


@router.get("/attendance")
def attendance(
    session: SessionDep, scope: ScopeDep, site_id: str, day: DateQuery, paging: PagingDep
) -> Page[AttendanceRow]:
    """Per guard at ``site_id`` on ``date``: first tap in, last tap out, taps, violations, late / early / absent."""
    site = _site(session, scope, site_id)
    rows = day_report(session, [site.id], day, attendance_queries.attendance_employer(scope, site))
    return page(paging.slice(rows), paging)


@router.get("/violations")
def violations(
    session: SessionDep,
    scope: ScopeDep,
    paging: PagingDep,
    site_id: str | None = None,
    day: OptionalDateQuery = None,
    code: str | None = None,
) -> Page[ViolationPublic]:
    """Violations, newest first; reasons in Chinese and English with their legal source."""
    if site_id is not None:
        _site(session, scope, site_id)
    found_rows = checkin_queries.list_violations(session, scope, site_id=site_id, day=day, code=code, paging=paging)
    return page(found_rows, paging)


@router.get("/checkins")
def checkins(
    session: SessionDep,
    scope: ScopeDep,
    day: DateQuery,
    paging: PagingDep,
    site_id: str | None = None,
    guard_id: str | None = None,
) -> Page[CheckinPublic]:
    """The day's check-ins, oldest first, each with its violation codes and photo link."""
    zone = _site(session, scope, site_id).timezone if site_id else registry_queries.site_zone(session, None)
    start, end = local_day_bounds(day, zone)
    rows = checkin_queries.list_checkins(
        session, scope, site_id=site_id, guard_id=guard_id, start=start, end=end, paging=paging
    )
    return page(rows, paging)


@router.get("/checkins/{event_id}")
def checkin(event_id: uuid.UUID, session: SessionDep, scope: ScopeDep) -> CheckinPublic:
    return found(checkin_queries.get_checkin(session, scope, event_id), "checkin")


@router.get("/checkins/{event_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
def checkin_photo(event_id: uuid.UUID, session: SessionDep, scope: ScopeDep, photos: PhotoStoreDep) -> Response:
    """The check-in photo (JPEG) as received from the terminal."""
    key = checkin_queries.photo_path(session, scope, event_id)
    jpeg = found(photos.get(key) if key else None, "photo")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/guards")
def guards(
    session: SessionDep,
    scope: ScopeDep,
    paging: PagingDep,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[GuardPublic]:
    """Guards this account may look up; a police search is written to the audit log."""
    rows = registry_queries.list_guards(session, scope, q=q, paging=paging)
    if scope.is_police:
        audit(session, scope, "person.search", q or "", f"{rows.count} found")
    return page(rows, paging)


@router.get("/guards/{guard_id}")
def guard(guard_id: str, session: SessionDep, scope: ScopeDep) -> GuardPublic:
    """One guard; a police look-up is written to the audit log."""
    guard = registry_queries.get_guard(session, scope, guard_id)
    if scope.is_police:
        audit(session, scope, "person.lookup", guard_id, "found" if guard else "not found")
    return found(guard, "guard")
