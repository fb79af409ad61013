"""The reads of the city's pages and APIs, through central's own query functions, timed.

Each ``Page`` is what one page or API call runs (the same functions, the same
scope), over several companies, sites or police stations of different sizes.
The board's credential verdicts are cached for a minute in central; they are
dropped before every call here, so that each figure is a first load.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.models import Role
from central.access.scope import Scope
from central.alerts.queries import list_alerts
from central.api.board import board_of
from central.attendance import board as board_module
from central.attendance import timesheets
from central.attendance.queries import attendance_employer
from central.attendance.report import day_report
from central.checkins.queries import list_checkins, list_violations, violation_overview
from central.paging import Paging
from central.registry import queries as registry_queries
from central.registry.local_time import local_day_bounds
from central.reports.monthly import monthly_report
from central.web.pager import DEFAULT_SIZE

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Target:
    label: str  # e.g. BC0000 (the largest company)
    scope: Scope
    key: str  # the company, site or police station


@dataclass(frozen=True, slots=True)
class Page:
    name: str
    over: str  # what the targets are: companies, sites, police stations, searches
    run: Callable[[Session, Target], int]  # returns the size of its answer (rows, sites, ...)


def spread(items: Sequence[str], k: int) -> list[str]:
    """``k`` items evenly spaced from the first to the last (all of them when there are fewer)."""
    if len(items) <= k:
        return list(items)
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)] if k > 1 else [items[0]]


def pages(first: date, day: date) -> list[Page]:
    """The timed reads for the month starting ``first``, the board and attendance pages on ``day``."""
    start = datetime.combine(first, datetime.min.time(), ZONE)
    end = datetime.combine(timesheets.month_bounds(first)[1] + timedelta(days=1), datetime.min.time(), ZONE)

    def board(session: Session, t: Target) -> int:
        board_module._standing_cache.clear()  # a first load, not the cached verdicts
        # The page's first page of sites (the counts are over all of them).
        result, _shown = board_of(session, t.scope, None, None, day, Paging(limit=DEFAULT_SIZE))
        return sum(len(b.rows) for b in result.sites)

    def attendance_day(session: Session, t: Target) -> int:
        site = registry_queries.get_site(session, t.scope, t.key)
        assert site is not None
        rows = day_report(session, [site.id], day, attendance_employer(t.scope, site))
        lo, hi = local_day_bounds(day, site.timezone)
        list_checkins(session, t.scope, site_id=site.id, start=lo, end=hi, paging=Paging())
        return len(rows)

    def timesheet(session: Session, t: Target) -> int:
        return len(timesheets.monthly(session, site_ids=[t.key], month=first).rows)

    def overview(session: Session, t: Target) -> int:
        return len(violation_overview(session, t.scope, start, end))

    def violations(session: Session, t: Target) -> int:
        return list_violations(session, t.scope, site_id=None, day=None, code=None, paging=Paging()).count

    def alerts(session: Session, t: Target) -> int:
        return list_alerts(session, t.scope, status=None, jurisdiction=None, paging=Paging()).count

    def report(session: Session, t: Target) -> int:
        return monthly_report(session, first, jurisdiction=t.key).checkins

    def lookup(session: Session, t: Target) -> int:
        found = registry_queries.list_guards(session, t.scope, q=t.key, paging=Paging())
        return found.count

    return [
        Page("board", "companies", board),
        Page("attendance_day", "sites", attendance_day),
        Page("timesheet_month", "sites", timesheet),
        Page("violations_overview", "police stations", overview),
        Page("violations_list", "police stations", violations),
        Page("alerts_list", "police stations", alerts),
        Page("monthly_report", "police stations", report),
        Page("guard_lookup", "searches", lookup),
    ]


def targets(kind: str, keys: Sequence[str]) -> list[Target]:
    def scope(key: str) -> Scope:
        if kind == "companies":
            return Scope("bench", Role.COMPANY, company_id=key)
        if kind == "sites":
            return Scope("bench", Role.ADMIN)
        return Scope("bench", Role.POLICE, jurisdiction="110105-J000" if kind == "searches" else key)

    return [Target(key, scope(key), key) for key in keys]


def time_page(engine: Engine, page: Page, chosen: list[Target], repeat: int) -> dict[str, object]:
    """One warm-up call, then ``repeat`` calls per target, each in its own session (as a request has)."""
    with Session(engine) as session:
        page.run(session, chosen[0])
    timings, sizes = [], []
    for target in chosen:
        for _ in range(repeat):
            with Session(engine) as session:
                began = time.perf_counter()
                sizes.append(page.run(session, target))
                timings.append((time.perf_counter() - began) * 1000)
    return {
        "query": page.name,
        "over": f"{len(chosen)} {page.over}",
        "runs": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_p95(timings), 1),
        "max_ms": round(max(timings), 1),
        "answer": f"{min(sizes)}-{max(sizes)}",
    }


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]
