"""Police reads and the alert workflow: alerts, watchlist entries, the regulators' violation overview.

Scoped like ``central.crud``: the police see their jurisdiction, the
administrator everything, employers nothing. Each workflow step is recorded
with who and when (``AlertAction``) and in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from central import auth
from central import scope as scoping
from central.alerts import change_status, mark_false_positive
from central.auth_models import AlertAction
from central.models import Alert, AlertPublic, AlertStatus, Checkin, Site, Violation, WatchlistEntry
from central.read_models import AlertActionPublic, AlertDetail, ViolationCount, WatchlistPublic
from central.registry import DEFAULT_ZONE
from central.scope import Scope


def alert_public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(alert, update={"photo_url": f"/api/checkins/{alert.alert_id}/photo"})


def list_alerts(
    session: Session, scope: Scope, *, status: AlertStatus | None, jurisdiction: str | None, limit: int
) -> list[AlertPublic]:
    """Alerts ``scope`` may see, newest first."""
    query = select(Alert).where(scoping.alerts(scope))
    if status is not None:
        query = query.where(Alert.status == status.value)
    if jurisdiction is not None:
        query = query.where(Alert.jurisdiction == jurisdiction)
    query = query.order_by(col(Alert.occurred_at).desc()).limit(limit)
    return [alert_public(alert) for alert in session.exec(query).all()]


def get_alert(session: Session, scope: Scope, alert_id: uuid.UUID) -> Alert | None:
    return session.exec(select(Alert).where(Alert.alert_id == alert_id, scoping.alerts(scope))).first()


def watchlist_photo(data_dir: Path, entry_id: str) -> Path | None:
    """The enrolment photo of a watchlist entry, kept as ``watchlist/<id>.jpg`` under the data dir."""
    path = data_dir / "watchlist" / f"{entry_id}.jpg"
    return path if entry_id.replace("-", "").isalnum() and path.is_file() else None


def watchlist_public(entry: WatchlistEntry, data_dir: Path) -> WatchlistPublic:
    photo = f"/api/watchlist/{entry.id}/photo" if watchlist_photo(data_dir, entry.id) else None
    return WatchlistPublic.model_validate(entry, update={"photo_url": photo})


def list_watchlist(session: Session, scope: Scope, data_dir: Path) -> list[WatchlistPublic]:
    query = select(WatchlistEntry).where(scoping.watchlist(scope)).order_by(col(WatchlistEntry.id))
    return [watchlist_public(e, data_dir) for e in session.exec(query).all()]


def get_watchlist_entry(session: Session, scope: Scope, entry_id: str) -> WatchlistEntry | None:
    return session.exec(select(WatchlistEntry).where(WatchlistEntry.id == entry_id, scoping.watchlist(scope))).first()


def alert_detail(session: Session, alert: Alert, data_dir: Path) -> AlertDetail:
    site = session.get(Site, alert.site_id) if alert.site_id else None
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
            "changed_at": alert.status_changed_at or alert.created_at,
            "watchlist": watchlist_public(entry, data_dir) if entry else None,
            "actions": [AlertActionPublic.model_validate(a) for a in actions],
        },
    )


def alerts_changed_since(session: Session, since: datetime, limit: int = 200) -> list[Alert]:
    """Every alert created or moved since ``since`` (central's clock), oldest change first; unscoped."""
    changed = func.coalesce(col(Alert.status_changed_at), col(Alert.created_at))
    query = select(Alert).where((col(Alert.created_at) >= since) | (col(Alert.status_changed_at) >= since))
    return list(session.exec(query.order_by(changed).limit(limit)).all())


def decide(session: Session, scope: Scope, alert: Alert, status: AlertStatus, note: str) -> Alert:
    """Move ``alert`` to ``status``, recording who and when; raises AlertTransitionError if not allowed."""
    if status is AlertStatus.FALSE_POSITIVE:
        # Remembered for the (entry, guard) pair: later face matches of the pair are suppressed.
        alert = mark_false_positive(session, alert.alert_id, scope.actor)
    else:
        alert = change_status(session, alert, status, by=scope.actor)
    session.add(AlertAction(alert_id=alert.alert_id, status=status.value, actor=scope.actor, note=note))
    auth.audit(session, scope, "alert.status", str(alert.alert_id), f"{status.value} {note}".strip())
    session.refresh(alert)
    return alert


def violation_overview(session: Session, scope: Scope, start: datetime, end: datetime) -> list[ViolationCount]:
    """Violations per site and code in [start, end), for regulators; most frequent first."""
    n = func.count(col(Violation.id))
    last = func.max(col(Checkin.occurred_at))
    query = (
        select(Checkin.site_id, Violation.code, n, last)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .where(scoping.checkins(scope), col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
        .group_by(col(Checkin.site_id), col(Violation.code))
        .order_by(n.desc())
    )
    names = {site.id: site.name_zh for site in session.exec(select(Site)).all()}
    return [
        ViolationCount(site_id=site_id, site_name_zh=names.get(site_id or ""), code=code, count=count, last_at=last_at)
        for site_id, code, count, last_at in session.exec(query).all()
    ]
