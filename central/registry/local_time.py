"""Local calendar days at a site: contracts, credentials and attendance count days in the site's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def local_date(at: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The calendar date of ``at`` in ``zone`` (contracts and attendance count local days)."""
    return at.astimezone(ZoneInfo(zone)).date()


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in ``zone``, as aware datetimes (compare with UTC columns)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
