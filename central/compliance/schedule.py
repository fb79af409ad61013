"""The daily registry check in the service: run by one worker, its findings logged and audited."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.audit import SYSTEM, audit
from central.compliance.check import check_registry
from central.db.types import utcnow
from central.registry.snapshot import local_date

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY_S = 120.0  # the service settles (and short-lived test apps end) before the first check


def check_and_record(engine: Engine) -> Counter[str]:
    """One check of today's registry; the count of findings by code, also in the log and the audit log."""
    with Session(engine) as session:
        day = local_date(utcnow())
        findings = check_registry(session, day)
        counts = Counter(f.code for f in findings)
        detail = ", ".join(f"{code}={n}" for code, n in sorted(counts.items())) or "none"
        audit(session, SYSTEM, "registry.check", day.isoformat(), f"findings: {detail}")
    if findings:
        logger.warning("登记核查 / registry check %s: %d findings (%s)", day, len(findings), detail)
    else:
        logger.info("登记核查 / registry check %s: no findings", day)
    return counts


async def run_schedule(engine: Engine, interval_s: float, leads: Callable[[], bool]) -> None:
    """``check_and_record`` every ``interval_s`` while ``leads()``; runs until cancelled."""
    await asyncio.sleep(min(FIRST_RUN_DELAY_S, interval_s))
    while True:
        try:
            if await asyncio.to_thread(leads):
                await asyncio.to_thread(check_and_record, engine)
        except Exception:
            logger.exception("registry check failed; next try in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
