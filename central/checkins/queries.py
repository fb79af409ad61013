"""Check-in reads of the dashboard API: check-ins, their photos and violations, scoped to the asker.

Companies and firms read the check-ins at the sites they manage and those of
the guards they employ; the police their jurisdiction's; the administrator
all. A row outside the scope is never returned (look-ups answer None).
Violation counts for regulators (``violation_overview``) are here too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.checkins.disclosure import decision_shown
from central.checkins.id_numbers import card_shown
from central.checkins.models import Checkin, CheckinClaim, CheckinPublic, Violation, ViolationCount, ViolationPublic
from central.paging import Paged, Paging, fetch
from central.registry.local_time import local_day_bounds
from central.registry.models import Guard, GuardPublic, Site
from central.registry.queries import site_zone


def checkin_of(event_id: uuid.UUID) -> ColumnElement[bool]:
    """The check-in ``event_id``, found in its month: the claim says which (PostgreSQL reads one partition)."""
    month = select(CheckinClaim.occurred_at).where(CheckinClaim.event_id == event_id).scalar_subquery()
    return and_(col(Checkin.event_id) == event_id, col(Checkin.occurred_at) == month)


def checkin_scope(scope: Scope) -> ColumnElement[bool]:
    """The check-ins ``scope`` may read (and so their violations and photos)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        in_area = select(Site.id).where(Site.jurisdiction == scope.jurisdiction)
        return col(Checkin.site_id).in_(in_area)
    managed = select(Site.id).where(Site.managed_by == scope.company_id)
    # The employer of the day of the tap, not today's: a guard who moved on stays in the old employer's records.
    return or_(col(Checkin.site_id).in_(managed), col(Checkin.employer_id) == scope.company_id)


def violation_scope(scope: Scope) -> ColumnElement[bool]:
    """``checkin_scope`` said of a violation's own copy of its check-in's site, where it can be: redundant with
    it, it lets a station's violations be found by their index rather than through every tap."""
    if scope.role is Role.POLICE:
        return col(Violation.site_id).in_(select(Site.id).where(Site.jurisdiction == scope.jurisdiction))
    return true()


def _checkins_between(scope: Scope, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end, checkin_scope(scope)]


def list_checkins(
    session: Session,
    scope: Scope,
    *,
    site_id: str | None,
    start: datetime,
    end: datetime,
    paging: Paging | None,
    guard_id: str | None = None,
) -> Paged[CheckinPublic]:
    """Check-ins in [start, end), oldest first, with their violation codes; all of them when ``paging`` is None."""
    query = (
        select(Checkin, Guard)
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(*_checkins_between(scope, start, end))
    )
    if site_id is not None:
        query = query.where(Checkin.site_id == site_id)
    if guard_id is not None:
        query = query.where(Checkin.guard_id == guard_id)
    query = query.order_by(col(Checkin.occurred_at), col(Checkin.event_id))
    if paging is None:
        everything = list(session.exec(query).all())
        pairs = Paged(everything, len(everything))
    else:
        pairs = fetch(session, query, paging)
    codes = _violation_codes(session, [c.event_id for c, _g in pairs.rows])
    return pairs.map(lambda pair: checkin_public(scope, pair[0], pair[1], codes.get(pair[0].event_id, [])))


@dataclass(frozen=True, slots=True)
class TapSeen:
    """A check-in as the board reads it: who, where, when, which way, the rules it broke."""

    event_id: uuid.UUID
    site_id: str | None
    guard_id: str | None
    guard_name_zh: str | None
    guard_name_en: str | None
    occurred_at: datetime
    direction: str
    violations: list[str]


def taps_seen(
    session: Session, scope: Scope, *, site_ids: Collection[str], start: datetime, end: datetime
) -> list[TapSeen]:
    """The check-ins ``scope`` reads at ``site_ids`` in [start, end), oldest first: columns only, for many sites."""
    query: Any = (
        select(  # type: ignore[call-overload]
            Checkin.event_id,
            Checkin.site_id,
            Checkin.guard_id,
            Guard.name_zh,
            Guard.name_en,
            Checkin.occurred_at,
            Checkin.direction,
        )
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(*_seen(scope, site_ids, start, end))
        .order_by(col(Checkin.occurred_at), col(Checkin.event_id))
    )
    found = session.exec(query).all()
    # The rules broken, read with the same conditions in one query: a large company's day is tens of
    # thousands of taps, which by batches of event ids took a query per 500.
    codes: dict[uuid.UUID, list[str]] = defaultdict(list)
    for event_id, code in session.exec(_broken(scope, site_ids, start, end, Violation.event_id, Violation.code)):
        codes[event_id].append(code)
    return [
        TapSeen(event_id, site_id, guard_id, name_zh, name_en, occurred_at, direction, sorted(codes.get(event_id, [])))
        for event_id, site_id, guard_id, name_zh, name_en, occurred_at, direction in found
    ]


def codes_seen(
    session: Session, scope: Scope, *, site_ids: Collection[str], start: datetime, end: datetime
) -> list[tuple[str | None, str | None, datetime, str]]:
    """The rules broken by the check-ins ``taps_seen`` gives (the same conditions): site, guard, time and code
    of each, without the taps that broke none (a board's counts over many sites need no more)."""
    query = _broken(scope, site_ids, start, end, Checkin.site_id, Checkin.guard_id, Checkin.occurred_at, Violation.code)
    return [tuple(row) for row in session.exec(query).all()]


def _seen(scope: Scope, site_ids: Collection[str], start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The check-ins ``taps_seen`` and ``codes_seen`` read: ``scope``'s at ``site_ids`` in [start, end)."""
    return [*_checkins_between(scope, start, end), col(Checkin.site_id).in_(site_ids)]


def _broken(scope: Scope, site_ids: Collection[str], start: datetime, end: datetime, *columns: Any) -> Any:
    """``columns`` of each violation of those check-ins, joined to its check-in."""
    query = select(*columns).select_from(Violation).join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
    return query.where(*_seen(scope, site_ids, start, end))


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
        decision_code=decision_shown(scope, checkin),
        has_photo=checkin.photo_path is not None,
        violations=sorted(codes),
        photo_url=photo,
    )


def get_checkin(session: Session, scope: Scope, event_id: uuid.UUID) -> CheckinPublic | None:
    query = (
        select(Checkin, Guard)
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(checkin_of(event_id), checkin_scope(scope))
    )
    pair = session.exec(query).first()
    if pair is None:
        return None
    return checkin_public(scope, pair[0], pair[1], _violation_codes(session, [event_id]).get(event_id, []))


def guard_of(session: Session, event_id: uuid.UUID) -> str | None:
    """The guard whose card made check-in ``event_id`` (None: card not registered, or no such check-in)."""
    return session.exec(select(Checkin.guard_id).where(checkin_of(event_id))).first()


def card_holder(session: Session, event_id: uuid.UUID) -> GuardPublic | None:
    """The guard whose card made check-in ``event_id``, as registered, ID number in clear.

    For alert views only: the police and the administrator, who see ID numbers.
    """
    guard_id = guard_of(session, event_id)
    guard = session.get(Guard, guard_id) if guard_id else None
    return GuardPublic.model_validate(guard) if guard else None


def photo_path(session: Session, scope: Scope, event_id: uuid.UUID) -> str | None:
    """The stored photo's path relative to the data dir, or None (no photo, or not ``scope``'s)."""
    query = select(Checkin.photo_path).where(checkin_of(event_id), checkin_scope(scope))
    return session.exec(query).first()


def list_violations(
    session: Session, scope: Scope, *, site_id: str | None, day: date | None, code: str | None, paging: Paging
) -> Paged[ViolationPublic]:
    """Violations ``scope`` may see, newest first, optionally for one site, local day and code."""
    query = (
        select(Violation, Checkin, Guard)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .where(checkin_scope(scope), violation_scope(scope))
    )
    # The violation's copies of its check-in's site and time (equal to them) are what the index finds.
    if site_id is not None:
        query = query.where(Checkin.site_id == site_id, Violation.site_id == site_id)
    if day is not None:
        start, end = local_day_bounds(day, site_zone(session, site_id))
        query = query.where(col(Violation.occurred_at) >= start, col(Violation.occurred_at) < end)
        query = query.where(col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
    if code is not None:
        query = query.where(Violation.code == code)
    query = query.order_by(col(Violation.occurred_at).desc(), col(Violation.id))
    return fetch(session, query, paging).map(lambda row: _violation_public(scope, *row))


def _violation_public(scope: Scope, v: Violation, c: Checkin, g: Guard | None) -> ViolationPublic:
    return ViolationPublic(
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
        guard_name_en=g.name_en if g else None,
        card_kind=c.card_kind,
        card_uid=card_shown(scope, c),
    )


def violation_overview(session: Session, scope: Scope, start: datetime, end: datetime) -> list[ViolationCount]:
    """Violations per site and code in [start, end), for regulators; most frequent first."""
    n = func.count(col(Violation.id))
    last = func.max(col(Checkin.occurred_at))
    query = (
        select(Checkin.site_id, Violation.code, n, last)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .where(checkin_scope(scope), col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
        .where(violation_scope(scope), col(Violation.occurred_at) >= start, col(Violation.occurred_at) < end)
        .group_by(col(Checkin.site_id), col(Violation.code))
        .order_by(n.desc())
    )
    found = session.exec(query).all()
    # The names of the sites counted, not of every site in the city.
    ids = {site_id for site_id, *_rest in found if site_id}
    names = dict(session.exec(select(Site.id, Site.name_zh).where(col(Site.id).in_(ids))).all()) if ids else {}
    return [
        ViolationCount(site_id=site_id, site_name_zh=names.get(site_id or ""), code=code, count=count, last_at=last_at)
        for site_id, code, count, last_at in found
    ]
