"""Registry sweeps as the delivery layer runs them: after a change, on schedule, and on command.

A sweep (``central.alerts.sweep``) compares every registered guard's ID number
with the wanted list. It runs after a guards list is imported or a guard is
written, after the wanted list changes, every ``registry_sweep_interval_s`` in
the service, and from ``guardpost watchlist sweep``. Each new hit is written to
the audit log; the police are sent what they have not been sent yet whenever
central's MQTT connection is at hand (the scheduled sweep sends what a command
or a broker outage left behind).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.audit import SYSTEM, audit
from central.access.scope import Scope
from central.alerts.sweep import SweepReport, mark_notified, pending_notices, sweep
from protocol.topics import police_registry_hit_topic

logger = logging.getLogger(__name__)

Publish = Callable[[str, bytes], bool]  # (topic, payload) -> sent
FIRST_RUN_DELAY_S = 30.0  # the service settles (and short-lived test apps end) before the first sweep


def sweep_and_notify(
    session: Session,
    scope: Scope,
    publish: Publish | None,
    *,
    why: str,
    guard_ids: Collection[str] | None = None,
    entry_ids: Collection[str] | None = None,
) -> SweepReport:
    """Sweep (all, or the guards / entries given), audit each new hit, and tell the police if possible."""
    report = sweep(session, guard_ids=guard_ids, entry_ids=entry_ids)
    for hit in report.new:
        logger.warning("WANTED ID number: guard %s is on entry %s (%s)", hit.guard_id, hit.entry_id, hit.jurisdiction)
        audit(session, scope, "registry_hit.new", f"{hit.guard_id}/{hit.entry_id}",
              f"{why}; 比中方式: 身份证号 / matched by ID number; jurisdiction={hit.jurisdiction}")  # fmt: skip
    if publish is not None:
        notify(session, publish)
    return report


def notify(session: Session, publish: Publish) -> int:
    """Send the police every open hit not sent yet; returns how many went out."""
    sent = [
        notice.hit_id
        for notice in pending_notices(session)
        if publish(police_registry_hit_topic(notice.jurisdiction), notice.model_dump_json(by_alias=True).encode())
    ]
    if sent:
        mark_notified(session, sent)
    return len(sent)


def _scheduled(engine: Engine, publish: Publish | None) -> SweepReport:
    with Session(engine) as session:
        report = sweep_and_notify(session, SYSTEM, publish, why="scheduled sweep")
    logger.info("registry sweep: %d hits, %d new, %d cleared", len(report.hits), len(report.new), report.cleared)
    return report


async def run_schedule(
    engine: Engine, interval_s: float, publish: Publish | None, leads: Callable[[], bool] = lambda: True
) -> None:
    """A full sweep every ``interval_s`` while ``leads()``, the first after FIRST_RUN_DELAY_S; runs until cancelled."""
    await asyncio.sleep(min(FIRST_RUN_DELAY_S, interval_s))
    while True:
        try:
            if await asyncio.to_thread(leads):
                await asyncio.to_thread(_scheduled, engine, publish)
        except Exception:
            logger.exception("registry sweep failed; next try in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
