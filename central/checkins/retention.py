"""Retention (条例 25): check-in photos and alert records kept at least 30 days, then purged on a schedule.

The purge only deletes: photo files past ``photo_days`` (unless their alert is
still kept), alert rows past ``alert_days`` with their workflow steps, and
expired login sessions. With ``checkin_months`` set it also deletes the
check-ins of whole months older than that many full months, with their
violations, alerts and claims: on PostgreSQL by dropping the months'
partitions (``central.checkins.partitions``), on SQLite row by row. No record is
altered; a check-in row keeps its photo path, and its photo then answers 404.
Each purge is logged and written to the audit log with what it deleted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from central.access.models import LoginSession
from central.alerts.models import Alert, AlertAction, AlertSuppression
from central.checkins import partitions
from central.checkins.models import Checkin, CheckinClaim, Violation
from central.checkins.photo_store import PhotoStore
from central.config import RetentionSettings
from central.db.types import utcnow

logger = logging.getLogger(__name__)

CLAIM_BATCH = 50_000  # claims deleted per transaction by month retention
FIRST_RUN_DELAY_S = 60.0  # let the service settle (and short-lived test apps end) before the first purge


@dataclass(frozen=True, slots=True)
class PurgeReport:
    photos: int
    alerts: int
    sessions: int
    photo_cutoff: datetime
    alert_cutoff: datetime
    detail: str = ""  # what was deleted, for the audit log
    checkins: int = 0  # check-ins of whole months past checkin_months


@dataclass(frozen=True, slots=True)
class MonthPurge:
    cutoff: datetime  # check-ins before this instant (the first of a month) were deleted
    months: list[str]  # the partitions' months dropped (PostgreSQL), "YYYY-MM"
    checkins: int
    alerts: list[uuid.UUID]


def purge_alerts(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    """Delete alerts that happened before ``cutoff`` and their workflow steps; their ids."""
    return _delete_alerts(session, list(session.exec(select(Alert.alert_id).where(col(Alert.occurred_at) < cutoff))))


def _delete_alerts(session: Session, old: list[uuid.UUID]) -> list[uuid.UUID]:
    for start in range(0, len(old), 500):
        batch = old[start : start + 500]
        session.exec(delete(AlertAction).where(col(AlertAction.alert_id).in_(batch)))
        # A suppressed alert's note goes with it; the false-positive decisions stay, they keep suppressing.
        session.exec(delete(AlertSuppression).where(col(AlertSuppression.alert_id).in_(batch)))
        session.exec(delete(Alert).where(col(Alert.alert_id).in_(batch)))
    session.commit()
    return old


def month_cutoff(now: datetime, months: int) -> datetime:
    """The first instant kept: the start of the month ``months`` full months before ``now``'s month."""
    return partitions.add_months(partitions.month_start(now), -months)


def purge_checkin_months(engine: Engine, months: int, now: datetime | None = None) -> MonthPurge:
    """Delete the check-ins of the months before ``month_cutoff``, their violations, alerts and claims.

    PostgreSQL drops the months' partitions (no dead rows, nothing to vacuum);
    what is left of those months (rows in the DEFAULT partitions, or every row on
    SQLite) is deleted. The claims go last, in their own transaction.
    """
    cutoff = month_cutoff(now or utcnow(), months)
    with Session(engine) as session:
        # Alerts refer to their check-in's claim: they go first, whatever alert_days says (checkin_months is longer).
        doomed = select(CheckinClaim.event_id).where(col(CheckinClaim.occurred_at) < cutoff)
        alerts = _delete_alerts(
            session, list(session.exec(select(Alert.alert_id).where(col(Alert.alert_id).in_(doomed))))
        )
        dropped = (
            partitions.drop_months_before(session.connection(), cutoff) if engine.dialect.name == "postgresql" else []
        )
        session.exec(delete(Violation).where(col(Violation.occurred_at) < cutoff))
        session.exec(delete(Checkin).where(col(Checkin.occurred_at) < cutoff))
        session.commit()
        claims = 0
        while True:  # in batches, each its own transaction: a city's month is millions of claims
            batch = select(CheckinClaim.event_id).where(col(CheckinClaim.occurred_at) < cutoff).limit(CLAIM_BATCH)
            deleted = session.exec(delete(CheckinClaim).where(col(CheckinClaim.event_id).in_(batch))).rowcount
            session.commit()
            claims += deleted
            if deleted < CLAIM_BATCH:
                break
    return MonthPurge(cutoff, dropped, claims, alerts)


def purge(engine: Engine, photos: PhotoStore, settings: RetentionSettings, now: datetime | None = None) -> PurgeReport:
    """One purge run; returns (and logs) what it deleted. The caller writes it to the audit log."""
    now = now or utcnow()
    photo_cutoff = now - timedelta(days=settings.photo_days)
    alert_cutoff = now - timedelta(days=settings.alert_days)
    months = purge_checkin_months(engine, settings.checkin_months, now) if settings.checkin_months else None
    with Session(engine) as session:
        alerts = purge_alerts(session, alert_cutoff) + (months.alerts if months else [])
        kept = {str(a) for a in session.exec(select(Alert.alert_id)).all()}
        photos_deleted = photos.purge(photo_cutoff, kept)
        sessions = session.exec(delete(LoginSession).where(col(LoginSession.expires_at) < now)).rowcount
        session.commit()
    detail = (
        f"photos={photos_deleted} before {photo_cutoff:%Y-%m-%d}; alerts={len(alerts)} before {alert_cutoff:%Y-%m-%d}"
        f"{': ' + ','.join(str(a) for a in alerts[:50]) if alerts else ''}; sessions={sessions}"
    )
    if months is not None:
        dropped = f" (months dropped: {','.join(months.months)})" if months.months else ""
        detail += f"; checkins={months.checkins} before {months.cutoff:%Y-%m-%d}{dropped}"
    logger.info("retention purge: %s", detail)
    checkins = months.checkins if months else 0
    return PurgeReport(photos_deleted, len(alerts), sessions, photo_cutoff, alert_cutoff, detail, checkins)


async def run_schedule(
    engine: Engine,
    photos: PhotoStore,
    settings: RetentionSettings,
    on_report: Callable[[PurgeReport], None],
    leads: Callable[[], bool] = lambda: True,
) -> None:
    """Purge every ``purge_interval_s``, first after FIRST_RUN_DELAY_S, while ``leads()``; runs until cancelled."""
    await asyncio.sleep(min(FIRST_RUN_DELAY_S, settings.purge_interval_s))
    while True:
        try:
            if not await asyncio.to_thread(leads):
                await asyncio.sleep(settings.purge_interval_s)
                continue
            report = await asyncio.to_thread(purge, engine, photos, settings)
            await asyncio.to_thread(on_report, report)
        except Exception:
            logger.exception("retention purge failed; next try in %.0f s", settings.purge_interval_s)
        await asyncio.sleep(settings.purge_interval_s)
