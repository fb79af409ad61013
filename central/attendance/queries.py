"""Attendance reads of the dashboard: who is on duty at a site now, and a site's month at a glance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from central.access.models import Role
from central.access.scope import Scope
from central.attendance.models import CalendarDay, OnDutyRow
from central.checkins.queries import list_checkins, taps_seen
from central.registry.local_time import local_day_bounds
from central.registry.models import Site


def attendance_employer(scope: Scope, site: Site) -> str | None:
    """The employer a visible ``site``'s attendance is restricted to, or None when ``scope`` sees every tap there.

    Mirrors ``checkin_scope``: a company serving a site it does not manage sees
    the duties and taps of the guards it employed on each day, not of those it employs now.
    """
    if scope.role in (Role.ADMIN, Role.POLICE) or site.managed_by == scope.company_id:
        return None
    return scope.company_id


def on_duty(session: Session, scope: Scope, site: Site, day: date) -> list[OnDutyRow]:
    """Per guard seen at ``site`` on local ``day``: first in, last tap, and whether still on duty."""
    return on_duty_at(session, scope, [site], day).get(site.id, [])


def on_duty_at(session: Session, scope: Scope, sites: Sequence[Site], day: date) -> dict[str, list[OnDutyRow]]:
    """``on_duty`` for many sites in one read: each site's rows by its id (a site nobody tapped at is left out)."""
    if not sites:
        return {}
    bounds = {site.id: local_day_bounds(day, site.timezone) for site in sites}
    start, end = min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())
    rows: dict[tuple[str, str | None], OnDutyRow] = {}
    for item in taps_seen(session, scope, site_ids=list(bounds), start=start, end=end):
        local = bounds.get(item.site_id or "")
        if local is None or not local[0] <= item.occurred_at < local[1]:
            continue
        key = (item.site_id or "", item.guard_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = OnDutyRow(
                guard_id=item.guard_id,
                guard_name_zh=item.guard_name_zh,
                guard_name_en=item.guard_name_en,
                first_in=None,
                last_tap=item.occurred_at,
                last_direction=item.direction,
                on_duty=False,
                taps=0,
                violations=0,
                last_event_id=item.event_id,
            )
        row.taps += 1
        row.violations += len(item.violations)
        row.codes += [code for code in item.violations if code not in row.codes]
        if item.direction == "in" and row.first_in is None:
            row.first_in = item.occurred_at
        if item.occurred_at >= row.last_tap:
            row.last_tap, row.last_direction, row.last_event_id = item.occurred_at, item.direction, item.event_id
        row.on_duty = row.last_direction == "in" and row.guard_id is not None
    by_site: dict[str, list[OnDutyRow]] = defaultdict(list)
    for (site_key, _guard), row in rows.items():
        by_site[site_key].append(row)
    return {k: sorted(v, key=lambda r: (not r.on_duty, r.guard_id or "~")) for k, v in by_site.items()}


def calendar(session: Session, scope: Scope, site: Site, month: date) -> list[CalendarDay]:
    """One row per local day of ``month`` at ``site``: guards seen, taps, violations."""
    first = month.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    start, _ = local_day_bounds(first, site.timezone)
    end, _ = local_day_bounds(after, site.timezone)
    zone = ZoneInfo(site.timezone)
    guards: dict[date, set[str | None]] = defaultdict(set)
    taps: dict[date, int] = defaultdict(int)
    violations: dict[date, int] = defaultdict(int)
    for item in list_checkins(session, scope, site_id=site.id, start=start, end=end, paging=None).rows:
        day = item.occurred_at.astimezone(zone).date()
        guards[day].add(item.guard_id)
        taps[day] += 1
        violations[day] += len(item.violations)
    days = [first + timedelta(days=n) for n in range((after - first).days)]
    return [CalendarDay(day=d, guards=len(guards[d]), taps=taps[d], violations=violations[d]) for d in days]
