"""Police messages of tap alerts that the broker has not acknowledged: found again, and marked once it has.

Ingest publishes an alert's message right after the commit that stored it, and
the broker's acknowledgement marks the alert (``mark_notified``). What stays
unmarked (a worker killed between the commit and the publish, a broker outage)
is sent again (``unsent``) by the worker that leads (``central.db.leader``).
Delivery is at least once: a worker killed between the acknowledgement and the
mark sends that alert a second time, with the same ``alert_id``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from central.alerts.models import Alert, AlertSuppression
from central.alerts.workflow import police_message
from central.db.types import utcnow
from protocol.messages import PoliceAlert

logger = logging.getLogger(__name__)

# Left to the path that stores the alert before another worker sends it again.
RESEND_AFTER = timedelta(seconds=10)


def unsent(
    session: Session, public_url: str | None, now: datetime | None = None, limit: int = 100
) -> list[PoliceAlert]:
    """Messages of alerts stored more than RESEND_AFTER ago and not acknowledged, oldest first."""
    cutoff = (now or utcnow()) - RESEND_AFTER
    query = (
        select(Alert)
        .outerjoin(AlertSuppression, col(AlertSuppression.alert_id) == col(Alert.alert_id))
        .where(col(Alert.notified_at).is_(None), col(Alert.created_at) < cutoff)
        .where(col(AlertSuppression.alert_id).is_(None))  # suppressed: no message is due
        .order_by(col(Alert.created_at))
        .limit(limit)
    )
    messages = (police_message(session, alert, public_url) for alert in session.exec(query).all())
    return [message for message in messages if message is not None]


def mark_notified(engine: Engine, alert_ids: Collection[uuid.UUID], at: datetime | None = None) -> None:
    """The broker acknowledged these alerts' messages; the first acknowledgement's time is kept."""
    if not alert_ids:
        return
    with Session(engine) as session:
        session.execute(
            update(Alert)
            .where(col(Alert.alert_id).in_(list(alert_ids)), col(Alert.notified_at).is_(None))
            .values(notified_at=at or utcnow())
        )
        session.commit()


async def run_resend_schedule(resend: Callable[[], int], leads: Callable[[], bool], every_s: float = 5.0) -> None:
    """Every ``every_s`` while ``leads()``: ``resend()`` what the broker never acknowledged; until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        try:
            if await asyncio.to_thread(leads):
                sent = await asyncio.to_thread(resend)
                if sent:
                    logger.warning("police alerts sent again (not acknowledged before): %d", sent)
        except Exception:
            logger.exception("re-sending police alerts failed; next try in %.0f s", every_s)
