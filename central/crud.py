"""Read queries behind the API: attendance taps, violations, alerts, photos.

Routes call these and nothing below them; these return public read models.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from central.attendance import Tap, local_day_bounds
from central.models import Alert, AlertPublic, AlertStatus, Checkin, Guard, Site, Violation, ViolationPublic
from central.registry import DEFAULT_ZONE


def site_zone(session: Session, site_id: str | None) -> str:
    site = session.get(Site, site_id) if site_id else None
    return site.timezone if site else DEFAULT_ZONE


def attendance_taps(session: Session, site_id: str, day: date) -> list[Tap]:
    """Every tap at ``site_id`` on local ``day`` with its violation count."""
    start, end = local_day_bounds(day, site_zone(session, site_id))
    counts = select(Violation.event_id, func.count().label("n")).group_by(col(Violation.event_id)).subquery()
    query = (
        select(Checkin, Guard, counts.c.n)
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
        .join(counts, counts.c.event_id == col(Checkin.event_id), isouter=True)
        .where(Checkin.site_id == site_id, col(Checkin.occurred_at) >= start, col(Checkin.occurred_at) < end)
    )
    return [
        Tap(
            guard_id=checkin.guard_id,
            guard_name_zh=guard.name_zh if guard else None,
            guard_name_en=guard.name_en if guard else None,
            occurred_at=checkin.occurred_at,
            direction=checkin.direction,
            violations=n or 0,
            face_mismatch=checkin.verify_score is not None
            and checkin.verify_threshold is not None
            and checkin.verify_score < checkin.verify_threshold,
        )
        for checkin, guard, n in session.exec(query).all()
    ]


def list_violations(
    session: Session, *, site_id: str | None, day: date | None, code: str | None, limit: int
) -> list[ViolationPublic]:
    """Violations, newest first, optionally for one site, local day and code."""
    query = (
        select(Violation, Checkin, Guard)
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .join(Guard, col(Guard.id) == col(Checkin.guard_id), isouter=True)
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
        )
        for v, c, g in session.exec(query).all()
    ]


def list_alerts(
    session: Session, *, status: AlertStatus | None, jurisdiction: str | None, limit: int
) -> list[AlertPublic]:
    """Alerts, newest first."""
    query = select(Alert)
    if status is not None:
        query = query.where(Alert.status == status.value)
    if jurisdiction is not None:
        query = query.where(Alert.jurisdiction == jurisdiction)
    query = query.order_by(col(Alert.occurred_at).desc()).limit(limit)
    return [alert_public(alert) for alert in session.exec(query).all()]


def alert_public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(alert, update={"photo_url": f"/api/checkins/{alert.alert_id}/photo"})


def photo_path(session: Session, event_id: uuid.UUID) -> str | None:
    """The stored photo's path relative to the data dir, or None."""
    checkin = session.get(Checkin, event_id)
    return checkin.photo_path if checkin else None
