"""Escalation as the service runs it: alerts nobody acknowledged in time escalated and sent again, every few seconds.

``central.alerts.escalation`` decides and claims (one worker per alert); this
module runs the rounds, writes each escalation to the audit log and sends the
alert to the police again on central's MQTT connection, marked with its
``escalated_at`` so that a consumer keeping one copy per alert id sees the change.
The delay is read from the settings at each round.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.audit import SYSTEM, audit
from central.alerts.escalation import Escalation, escalate_overdue
from central.alerts.models import Alert
from central.alerts.workflow import police_message
from central.api.sweeps import Publish
from central.config import CentralSettings
from protocol.topics import police_alert_topic

logger = logging.getLogger(__name__)


def escalate_round(engine: Engine, settings: CentralSettings, publish: Publish | None) -> list[Escalation]:
    """One round: escalate what is overdue and won, audit it, send it again; returns what this worker escalated."""
    after = timedelta(minutes=settings.alerts.escalate_after_min)
    with Session(engine) as session:
        won = escalate_overdue(session, after)
        for escalation in won:
            _tell(session, escalation, settings, publish)
    return won


def _tell(session: Session, escalation: Escalation, settings: CentralSettings, publish: Publish | None) -> None:
    alert = session.get(Alert, escalation.alert_id)
    message = police_message(session, alert, settings.public_url) if alert is not None else None
    sent = False
    if publish is not None and message is not None:
        sent = publish(police_alert_topic(escalation.jurisdiction), message.model_dump_json(by_alias=True).encode())
    logger.warning("alert %s not acknowledged in time: escalated to %s (sent again: %s)",
                   escalation.alert_id, ", ".join(escalation.supervisors) or "no supervisor", sent)  # fmt: skip
    detail = f"supervisors={','.join(escalation.supervisors) or '-'} jurisdiction={escalation.jurisdiction} sent={sent}"
    audit(session, SYSTEM, "alert.escalate", str(escalation.alert_id), detail)


async def run_schedule(engine: Engine, settings: CentralSettings, publish: Publish | None) -> None:
    """A round every ``alerts.escalation_check_s``; runs until cancelled."""
    while True:
        await asyncio.sleep(settings.alerts.escalation_check_s)
        try:
            await asyncio.to_thread(escalate_round, engine, settings, publish)
        except Exception:
            logger.exception("alert escalation round failed; next try in %.0f s", settings.alerts.escalation_check_s)
