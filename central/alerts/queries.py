"""Police reads of alerts and the alert workflow, scoped: the police see their jurisdiction, the administrator all.

Employers never see an alert (it would tip a suspect off): ``alert_scope`` is
false for them. Each workflow step is recorded with who and when
(``AlertAction``) and in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from central.access.models import Role
from central.access.scope import Scope
from central.alerts.models import (
    Alert,
    AlertAction,
    AlertActionPublic,
    AlertDetail,
    AlertPublic,
    AlertStatus,
    RegistryHit,
    RegistryHitPublic,
    RegistryHitStatus,
)
from central.alerts.workflow import change_status, check_step, mark_false_positive, next_steps
from central.paging import Paged, Paging, fetch
from central.registry.local_time import DEFAULT_ZONE, local_day_bounds
from central.registry.maps import amap_marker
from central.registry.models import Company, Guard, GuardPublic, Site
from central.watchlist.models import WatchlistEntry
from central.watchlist.portraits import Portraits
from central.watchlist.queries import watchlist_public


def alert_scope(scope: Scope) -> ColumnElement[bool]:
    """Wanted-person alerts: the police of the jurisdiction and the administrator only."""
    return _jurisdiction_scope(scope, Alert.jurisdiction)


def _jurisdiction_scope(scope: Scope, column: object) -> ColumnElement[bool]:
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(column) == scope.jurisdiction
    return false()


def list_registry_hits(
    session: Session, scope: Scope, *, status: RegistryHitStatus | None, paging: Paging
) -> Paged[RegistryHitPublic]:
    """Registered guards found on the wanted list that ``scope`` may see, newest first."""
    query = _hits_query().where(_jurisdiction_scope(scope, RegistryHit.jurisdiction))
    if status is not None:
        query = query.where(RegistryHit.status == status.value)
    query = query.order_by(col(RegistryHit.first_seen_at).desc(), col(RegistryHit.id))
    return fetch(session, query, paging).map(_hit_public)


def registry_hits_since(session: Session, since: datetime) -> list[RegistryHitPublic]:
    """Open hits first found since ``since`` (central's clock), oldest first; unscoped (the live hub scopes)."""
    query = _hits_query().where(
        col(RegistryHit.first_seen_at) >= since, RegistryHit.status == RegistryHitStatus.OPEN.value
    )
    rows = session.exec(query.order_by(col(RegistryHit.first_seen_at), col(RegistryHit.id))).all()
    return [_hit_public(row) for row in rows]


def _hits_query() -> Select[RegistryHit, Guard, str, str]:
    """Hits with the guard, the entry's name and the guard's employer's name (any may be gone since)."""
    return (
        select(RegistryHit, Guard, WatchlistEntry.name_zh, Company.name_zh)
        .outerjoin(Guard, col(Guard.id) == col(RegistryHit.guard_id))
        .outerjoin(Company, col(Company.id) == col(Guard.employer_id))
        .outerjoin(WatchlistEntry, col(WatchlistEntry.id) == col(RegistryHit.watchlist_entry_id))
    )


def _hit_public(row: tuple[RegistryHit, Guard | None, str | None, str | None]) -> RegistryHitPublic:
    hit, guard, entry_name, employer_name = row
    extra = {"guard_name_zh": guard.name_zh if guard else None, "employer_id": guard.employer_id if guard else None,
             "watchlist_name": entry_name, "employer_name_zh": employer_name}  # fmt: skip
    return RegistryHitPublic.model_validate(hit, update=extra)


def alert_public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(alert, update={"photo_url": f"/api/checkins/{alert.alert_id}/photo"})


def local_days(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[start of ``first``, end of ``last``) in Beijing time, either end open: the days a person picks."""
    return (
        local_day_bounds(first, DEFAULT_ZONE)[0] if first else None,
        local_day_bounds(last, DEFAULT_ZONE)[1] if last else None,
    )


def list_alerts(
    session: Session,
    scope: Scope,
    *,
    status: AlertStatus | None,
    jurisdiction: str | None,
    paging: Paging,
    occurred: tuple[datetime | None, datetime | None] = (None, None),
    escalated: bool | None = None,
) -> Paged[AlertPublic]:
    """Alerts ``scope`` may see, newest first; ``occurred``: [start, end) of the match's time, either open;
    ``escalated``: only those escalated (True) or not (False)."""
    query = select(Alert).where(alert_scope(scope))
    if escalated is not None:
        query = query.where(col(Alert.escalated_at).is_not(None) if escalated else col(Alert.escalated_at).is_(None))
    if status is not None:
        query = query.where(Alert.status == status.value)
    if jurisdiction is not None:
        query = query.where(Alert.jurisdiction == jurisdiction)
    start, end = occurred
    if start is not None:
        query = query.where(col(Alert.occurred_at) >= start)
    if end is not None:
        query = query.where(col(Alert.occurred_at) < end)
    query = query.order_by(col(Alert.occurred_at).desc(), col(Alert.alert_id))
    return fetch(session, query, paging).map(alert_public)


def get_alert(session: Session, scope: Scope, alert_id: uuid.UUID) -> Alert | None:
    return session.exec(select(Alert).where(Alert.alert_id == alert_id, alert_scope(scope))).first()


def alert_detail(session: Session, alert: Alert, portraits: Portraits, guard: GuardPublic | None = None) -> AlertDetail:
    """``alert`` as the police page shows it; ``guard``: the card holder as registered, when known."""
    site = session.get(Site, alert.site_id) if alert.site_id else None
    employer = session.get(Company, guard.employer_id) if guard and guard.employer_id else None
    entry = session.get(WatchlistEntry, alert.watchlist_entry_id)
    actions = session.exec(
        select(AlertAction).where(AlertAction.alert_id == alert.alert_id).order_by(col(AlertAction.id))
    ).all()
    return AlertDetail.model_validate(
        alert_public(alert),
        update={
            "site_name_zh": site.name_zh if site else None,
            "site_name_en": site.name_en if site else None,
            "site_timezone": site.timezone if site else DEFAULT_ZONE,
            "changed_at": changed_at(alert),
            "watchlist": watchlist_public(entry, bool(portraits.present([entry.id]))) if entry else None,
            "actions": [AlertActionPublic.model_validate(a) for a in actions],
            "guard": guard,
            "employer_name_zh": employer.name_zh if employer else None,
            "employer_name_en": (employer.name_en or None) if employer else None,
            "site_address": (site.address or None) if site else None,
            "site_map_url": amap_marker(site.latitude, site.longitude, site.name_zh) if site else None,
            "next": list(next_steps(alert.status)),
        },
    )


def changed_at(alert: Alert) -> datetime:
    """When ``alert`` last changed: raised, moved, or escalated (central's clock)."""
    return max(t for t in (alert.created_at, alert.status_changed_at, alert.escalated_at) if t is not None)


def alerts_changed_since(session: Session, since: datetime) -> list[Alert]:
    """Every alert created, moved or escalated since ``since`` (central's clock), oldest change first; unscoped.

    No cap: the live hub reads a few seconds' changes at a time, and a capped read would
    drop the rest of a burst for good once its cursor moved on.
    """
    query = select(Alert).where(
        (col(Alert.created_at) >= since) | (col(Alert.status_changed_at) >= since) | (col(Alert.escalated_at) >= since)
    )
    return sorted(session.exec(query).all(), key=changed_at)


def decide(session: Session, scope: Scope, alert: Alert, status: AlertStatus, note: str, guard_id: str | None) -> Alert:
    """Move ``alert`` to ``status``, recording who and when, with ``note``.

    Raises AlertTransitionError for a step not allowed, AlertNoteRequired for a false
    positive without a note. ``guard_id`` is the guard whose card was tapped: a false
    positive is remembered for the pair (entry, guard), and later face matches of the
    pair are suppressed.
    """
    check_step(AlertStatus(alert.status), status, note)
    if status is AlertStatus.FALSE_POSITIVE:
        alert = mark_false_positive(session, alert.alert_id, scope.actor, guard_id)
    else:
        alert = change_status(session, alert, status, by=scope.actor)
    session.add(AlertAction(alert_id=alert.alert_id, status=status.value, actor=scope.actor, note=note))
    session.commit()
    session.refresh(alert)
    return alert
