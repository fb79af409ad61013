"""The daily registry check in the service: run by one worker, its findings logged, opened as cases or left
as reminders (``central.compliance.follow_up``), and handed on (the audit log)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session

from central.compliance.check import check_registry
from central.compliance.follow_up import follow_up
from central.db.types import utcnow
from central.registry.snapshot import local_date

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY_S = 120.0  # the service settles (and short-lived test apps end) before the first check


@dataclass(frozen=True, slots=True)
class CheckReport:
    day: date
    counts: Counter[str]
    opened: tuple[int, ...] = ()  # the cases opened on new findings
    reminded: int = 0  # reminders left of what ends soon

    @property
    def detail(self) -> str:
        """What the audit log says: the findings by code, and what was made of the new ones."""
        found = ", ".join(f"{code}={n}" for code, n in sorted(self.counts.items())) or "none"
        return f"findings: {found}; cases opened: {len(self.opened)}; reminders: {self.reminded}"


def check_and_log(engine: Engine) -> CheckReport:
    """One check of today's registry, its new findings followed up, logged; the count of findings by code."""
    with Session(engine) as session:
        day = local_date(utcnow())
        findings = check_registry(session, day)
        made = follow_up(session, findings)
        report = CheckReport(day, Counter(f.code for f in findings), tuple(made.opened), len(made.reminded))
    if report.counts:
        logger.warning("登记核查 / registry check %s: %d findings (%s)", day, report.counts.total(), report.detail)
    else:
        logger.info("登记核查 / registry check %s: no findings", day)
    return report


async def run_schedule(
    engine: Engine, interval_s: float, leads: Callable[[], bool], on_report: Callable[[CheckReport], None]
) -> None:
    """``check_and_log`` every ``interval_s`` while ``leads()``, each report to ``on_report``; until cancelled."""
    await asyncio.sleep(min(FIRST_RUN_DELAY_S, interval_s))
    while True:
        try:
            if await asyncio.to_thread(leads):
                report = await asyncio.to_thread(check_and_log, engine)
                await asyncio.to_thread(on_report, report)
        except Exception:
            logger.exception("registry check failed; next try in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
