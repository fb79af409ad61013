"""Attendance from taps: per guard and local day, first tap in, last tap out, taps, violations.

Pure functions over ``Tap`` values; ``central.crud`` loads the taps. Days are
local days in the site's zone. Late / early-leave / absent against shifts and
overnight shifts attributed to their start day are not computed yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from central.models import AttendancePublic


@dataclass(frozen=True, slots=True)
class Tap:
    guard_id: str | None
    guard_name_zh: str | None
    guard_name_en: str | None
    occurred_at: datetime
    direction: str  # "in" | "out"
    violations: int
    # The photo did not match the card holder: someone else's presence, not the guard's.
    face_mismatch: bool = False


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in ``zone``, as aware datetimes (compare with UTC columns)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def summarise(taps: Iterable[Tap], zone: str) -> list[AttendancePublic]:
    """One row per guard (unregistered cards together under ``guard_id=None``), ordered by first tap."""
    tz = ZoneInfo(zone)
    rows: dict[str | None, AttendancePublic] = {}
    for tap in sorted(taps, key=lambda t: t.occurred_at):
        at = tap.occurred_at.astimezone(tz)
        row = rows.setdefault(
            tap.guard_id,
            AttendancePublic(
                guard_id=tap.guard_id,
                guard_name_zh=tap.guard_name_zh,
                guard_name_en=tap.guard_name_en,
                first_in=None,
                last_out=None,
                taps=0,
                violations=0,
            ),
        )
        row.taps += 1
        row.violations += tap.violations
        if tap.face_mismatch:
            continue
        if tap.direction == "in" and row.first_in is None:
            row.first_in = at
        elif tap.direction == "out":
            row.last_out = at
    return list(rows.values())
