"""Escalation of alerts nobody acknowledged in time (超时未确认，上报值班领导).

An alert still ``new`` a set time after central raised it is escalated once: to
the supervisor accounts of its jurisdiction (police accounts marked
``supervisor``), with a step in its history, and it is sent to the police
again (``central.api.escalations`` sends it). Several central workers may look
at the same moment: each claims an alert with a conditional UPDATE (only
where ``escalated_at`` is still unset and the alert still new), and only the
worker whose UPDATE changed the row records and sends anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from central.access.models import Account, Role
from central.alerts.models import Alert, AlertAction, AlertStatus
from central.db.types import utcnow

ESCALATED = "escalated"  # the AlertAction status of the step (not an alert status: the alert stays new)
SYSTEM_ACTOR = "system"


@dataclass(frozen=True, slots=True)
class Escalation:
    alert_id: uuid.UUID
    jurisdiction: str
    supervisors: tuple[str, ...]  # usernames; empty when the jurisdiction has none


def overdue(session: Session, now: datetime, after: timedelta) -> list[uuid.UUID]:
    """Alerts still new, not escalated, raised longer than ``after`` before ``now``; oldest first."""
    query = (
        select(Alert.alert_id)
        .where(Alert.status == AlertStatus.NEW.value, col(Alert.escalated_at).is_(None))
        .where(col(Alert.created_at) <= now - after)
        .order_by(col(Alert.created_at))
    )
    return list(session.exec(query).all())


def claim(session: Session, alert_id: uuid.UUID, now: datetime) -> bool:
    """Mark ``alert_id`` escalated if nobody has (and it is still new); True for the one caller that did."""
    statement = (
        update(Alert)
        .where(col(Alert.alert_id) == alert_id, col(Alert.escalated_at).is_(None))
        .where(col(Alert.status) == AlertStatus.NEW.value)
        .values(escalated_at=now)
    )
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def supervisors(session: Session, jurisdiction: str) -> tuple[str, ...]:
    """Usernames of the active supervisor accounts of ``jurisdiction``."""
    query = select(Account.username).where(
        Account.role == Role.POLICE.value,
        Account.jurisdiction == jurisdiction,
        col(Account.supervisor).is_(True),
        col(Account.active).is_(True),
    )
    return tuple(session.exec(query.order_by(col(Account.username))).all())


def _note(names: tuple[str, ...], after: timedelta) -> str:
    minutes = f"{after.total_seconds() / 60:g}"
    if not names:
        return f"{minutes} 分钟未确认，辖区未设值班领导账号，已重新推送 / not acknowledged in {minutes} min: sent again"
    listed = "、".join(names)
    return f"{minutes} 分钟未确认，已上报 {listed} / not acknowledged in {minutes} min: escalated to {', '.join(names)}"


def escalate_overdue(session: Session, after: timedelta, now: datetime | None = None) -> list[Escalation]:
    """Escalate every overdue alert this caller wins, each in its own commit; returns those it won."""
    now = now or utcnow()
    won = []
    for alert_id in overdue(session, now, after):
        if not claim(session, alert_id, now):
            session.rollback()  # another worker did, or the police acted meanwhile
            continue
        alert = session.exec(
            select(Alert).where(Alert.alert_id == alert_id).execution_options(populate_existing=True)
        ).one()
        names = supervisors(session, alert.jurisdiction)
        session.add(AlertAction(alert_id=alert_id, status=ESCALATED, actor=SYSTEM_ACTOR, note=_note(names, after)))
        session.commit()
        won.append(Escalation(alert_id, alert.jurisdiction, names))
    return won
