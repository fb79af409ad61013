"""Read queries of the dashboard API for employers and regulators, every one scoped by ``central.scope``.

Routes call these and nothing below them. A row outside the asker's scope is
never returned: lists filter it out and look-ups answer None, as for an id
that does not exist. Police-only reads (alerts, watchlist) are in
``central.crud_police``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from central import scope as scoping
from central.attendance import local_day_bounds
from central.auth_models import Role
from central.checkin_ids import card_shown
from central.models import Checkin, Guard, Site, Violation, ViolationPublic
from central.read_models import CalendarDay, CheckinPublic, GuardPublic, OnDutyRow, SitePublic
from central.registry import DEFAULT_ZONE
from central.scope import Scope


def site_zone(session: Session, site_id: str | None) -> str:
    site = session.get(Site, site_id) if site_id else None
    return site.timezone if site else DEFAULT_ZONE


def visible_sites(session: Session, scope: Scope) -> list[Site]:
    return list(session.exec(select(Site).where(scoping.sites(scope)).order_by(col(Site.id))).all())


def get_site(session: Session, scope: Scope, site_id: str) -> Site | None:
    """The site, if ``scope`` may see it."""
    return session.exec(select(Site).where(Site.id == site_id, scoping.sites(scope))).first()


def attendance_guards(session: Session, scope: Scope, site: Site) -> list[str] | None:
    """The guard ids a visible ``site``'s attendance is restricted to, or None when ``scope`` sees every tap there.

    Mirrors ``scope.checkins`` for ``central.attendance``, which filters by site and guard ids.
    """
    if scope.role in (Role.ADMIN, Role.POLICE) or site.managed_by == scope.company_id:
        return None
    return list(session.exec(select(Guard.id).where(scoping.guards(scope)).order_by(col(Guard.id))).all())


def site_public(site: Site) -> SitePublic:
    return SitePublic.model_validate(site, update={"kind": str(site.kind)})


def _checkins_between(scope: Scope, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end, scoping.checkins(scope)]


def site_checkins(session: Session, scope: Scope, site_id: str, start: datetime, end: datetime) -> list[Checkin]:
    query = select(Checkin).where(Checkin.site_id == site_id, *_checkins_between(scope, start, end))
    return list(session.exec(query.order_by(col(Checkin.occurred_at))).all())


def on_duty(session: Session, scope: Scope, site: Site, day: date) -> list[OnDutyRow]:
    """Per guard seen at ``site`` on local ``day``: first in, last tap, and whether still on duty."""
    start, end = local_day_bounds(day, site.timezone)
    rows: dict[str | None, OnDutyRow] = {}
    for item in list_checkins(session, scope, site_id=site.id, start=start, end=end, limit=10_000):
        row = rows.get(item.guard_id)
        if row is None:
            row = rows[item.guard_id] = OnDutyRow(
                guard_id=item.guard_id,
                guard_name_zh=item.guard_name_zh,
                guard_name_en=item.guard_name_en,
                first_in=None,
                last_tap=item.occurred_at,
                last_direction=item.direction,
                on_duty=False,
                taps=0,
                violations=0,
                last_event_id=item.event_id,
            )
        row.taps += 1
        row.violations += len(item.violations)
        if item.direction == "in" and row.first_in is None:
            row.first_in = item.occurred_at
        if item.occurred_at >= row.last_tap:
            row.last_tap, row.last_direction, row.last_event_id = item.occurred_at, item.direction, item.event_id
        row.on_duty = row.last_direction == "in" and row.guard_id is not None
    return sorted(rows.values(), key=lambda r: (not r.on_duty, r.guard_id or "~"))


def calendar(session: Session, scope: Scope, site: Site, month: date) -> list[CalendarDay]:
    """One row per local day of ``month`` at ``site``: guards seen, taps, violations."""
    first = month.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    start, _ = local_day_bounds(first, site.timezone)
    end, _ = local_day_bounds(after, site.timezone)
    zone = ZoneInfo(site.timezone)
    guards: dict[date, set[str | None]] = defaultdict(set)
    taps: dict[date, int] = defaultdict(int)
    violations: dict[date, int] = defaultdict(int)
    for item in list_checkins(session, scope, site_id=site.id, start=start, end=end, limit=100_000):
        day = item.occurred_at.astimezone(zone).date()
        guards[day].add(item.guard_id)
        taps[day] += 1
        violations[day] += len(item.violations)
    days = [first + timedelta(days=n) for n in range((after - first).days)]
    return [CalendarDay(day=d, guards=len(guards[d]), taps=taps[d], violations=violations[d]) for d in days]


def list_checkins(
    session: Session,
    scope: Scope,
    *,
    site_id: str | None,
    start: datetime,
    end: datetime,
    limit: int,
    guard_id: str | None = None,
) -> list[CheckinPublic]:
    """Check-ins in [start, end), oldest first, with their violation codes."""
    query = (
        select(Checkin, Guard)
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(*_checkins_between(scope, start, end))
    )
    if site_id is not None:
        query = query.where(Checkin.site_id == site_id)
    if guard_id is not None:
        query = query.where(Checkin.guard_id == guard_id)
    pairs = session.exec(query.order_by(col(Checkin.occurred_at)).limit(limit)).all()
    codes = _violation_codes(session, [c.event_id for c, _g in pairs])
    return [checkin_public(scope, c, g, codes.get(c.event_id, [])) for c, g in pairs]


def _violation_codes(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    codes: dict[uuid.UUID, list[str]] = defaultdict(list)
    for chunk in range(0, len(event_ids), 500):
        batch = event_ids[chunk : chunk + 500]
        query = select(Violation.event_id, Violation.code).where(col(Violation.event_id).in_(batch))
        for event_id, code in session.exec(query).all():
            codes[event_id].append(code)
    return codes


def checkin_public(scope: Scope, checkin: Checkin, guard: Guard | None, codes: list[str]) -> CheckinPublic:
    photo = f"/api/checkins/{checkin.event_id}/photo" if checkin.photo_path else None
    return CheckinPublic(
        event_id=checkin.event_id,
        occurred_at=checkin.occurred_at,
        terminal_id=checkin.terminal_id,
        site_id=checkin.site_id,
        guard_id=checkin.guard_id,
        guard_name_zh=guard.name_zh if guard else None,
        guard_name_en=guard.name_en if guard else None,
        card_kind=checkin.card_kind,
        card_uid=card_shown(scope, checkin),
        direction=checkin.direction,
        face_status=checkin.face_status,
        verify_score=checkin.verify_score,
        decision_code=checkin.decision_code,
        has_photo=checkin.photo_path is not None,
        violations=sorted(codes),
        photo_url=photo,
    )


def get_checkin(session: Session, scope: Scope, event_id: uuid.UUID) -> CheckinPublic | None:
    query = (
        select(Checkin, Guard)
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(Checkin.event_id == event_id, scoping.checkins(scope))
    )
    pair = session.exec(query).first()
    if pair is None:
        return None
    return checkin_public(scope, pair[0], pair[1], _violation_codes(session, [event_id]).get(event_id, []))


def photo_path(session: Session, scope: Scope, event_id: uuid.UUID) -> str | None:
    """The stored photo's path relative to the data dir, or None (no photo, or not ``scope``'s)."""
    query = select(Checkin.photo_path).where(Checkin.event_id == event_id, scoping.checkins(scope))
    return session.exec(query).first()


def list_violations(
    session: Session, scope: Scope, *, site_id: str | None, day: date | None, code: str | None, limit: int
) -> list[ViolationPublic]:
    """Violations ``scope`` may see, newest first, optionally for one site, local day and code."""
    query = (
        select(Violation, Checkin, Guard)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(scoping.checkins(scope))
    )
    if site_id is not None:
        query = query.where(Checkin.site_id == site_id)
    if day is not None:
        start, end = local_day_bounds(day, site_zone(session, site_id))
        query = query.where(col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
    if code is not None:
        query = query.where(Violation.code == code)
    query = query.order_by(col(Checkin.occurred_at).desc(), col(Violation.id)).limit(limit)
    return [
        ViolationPublic(
            event_id=v.event_id,
            code=v.code,
            reason_zh=v.reason_zh,
            reason_en=v.reason_en,
            article=v.article,
            occurred_at=c.occurred_at,
            terminal_id=c.terminal_id,
            site_id=c.site_id,
            guard_id=c.guard_id,
            guard_name_zh=g.name_zh if g else None,
            card_kind=c.card_kind,
            card_uid=card_shown(scope, c),
        )
        for v, c, g in session.exec(query).all()
    ]


def guard_public(scope: Scope, guard: Guard) -> GuardPublic:
    return GuardPublic.model_validate(guard, update={"id_number": scope.id_number(guard.id_number)})


def list_guards(session: Session, scope: Scope, *, q: str | None, limit: int) -> list[GuardPublic]:
    query = select(Guard).where(scoping.guards(scope))
    if q:
        pattern = f"%{q}%"
        query = query.where(
            col(Guard.id).ilike(pattern) | col(Guard.name_zh).ilike(pattern) | col(Guard.name_en).ilike(pattern)
        )
    return [guard_public(scope, g) for g in session.exec(query.order_by(col(Guard.id)).limit(limit)).all()]


def get_guard(session: Session, scope: Scope, guard_id: str) -> GuardPublic | None:
    guard = session.exec(select(Guard).where(Guard.id == guard_id, scoping.guards(scope))).first()
    return guard_public(scope, guard) if guard else None
