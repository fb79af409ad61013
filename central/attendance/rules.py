"""Attendance rules, pure: taps against rostered duties; late, early leave, absent, overnight.

``Duty`` is one guard rostered on one shift on one day (``central.attendance``
expands the roster into duties and loads the taps from the database);
``rows`` matches taps to duties and returns one ``AttendanceRow`` per duty
plus one per guard, site and local day for taps outside any duty.

- A tap counts for a duty when it falls between ``EARLY_WINDOW`` before the
  shift's start and ``LATE_WINDOW`` after its end; a tap in goes to the duty
  whose start is nearest, a tap out to the one whose end is nearest, so that a
  guard working a day and then a night shift is read right.
- An overnight shift (it ends at or before its start time) belongs to the day
  it started.
- Taps of one guard in the same direction within ``FOLD_WINDOW`` of each other
  are one tap (a guard taps again when unsure the first one took).
- A tap whose photo or fingerprint did not match the card holder (FACE_MISMATCH,
  FINGERPRINT_MISMATCH) is counted but is not the guard's presence: a duty with
  only such taps is an absence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo


@dataclass(slots=True)
class AttendanceRow:
    """One guard's duty (a rostered shift) or unrostered taps at one site on one local day.

    A plain dataclass: a month's report makes one per duty (tens of thousands); the
    API sends it as it is (FastAPI serialises dataclasses).
    A rostered shift is attributed to the day it starts, also when it ends after
    midnight. ``shift_id`` is None for taps outside any rostered shift.
    """

    guard_id: str | None  # None: taps of unregistered cards
    guard_name_zh: str | None
    guard_name_en: str | None
    first_in: datetime | None
    last_out: datetime | None
    taps: int  # repeated taps within the fold window count once
    violations: int
    site_id: str | None = None
    day: date | None = None
    shift_id: int | None = None
    shift_name_zh: str | None = None
    shift_name_en: str | None = None
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    late: bool = False
    late_minutes: int = 0
    early_leave: bool = False
    early_minutes: int = 0
    absent: bool = False  # rostered, no tap that shows the guard's own presence, and no approved leave
    on_leave: bool = False  # an approved leave (请假) excuses the duty
    leave_kind: str | None = None
    corrected: bool = False  # an approved missed-tap correction (补卡) counts among the taps
    worked_minutes: int = 0
    last_in: datetime | None = None  # the latest tap in: after the last out, the guard is on post again
    due_by: datetime | None = None  # shift start and the late grace: not there by then is 未到


FOLD_WINDOW = timedelta(minutes=2)
EARLY_WINDOW = timedelta(hours=2)
LATE_WINDOW = timedelta(hours=3)


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
    site_id: str | None = None
    corrected: bool = False  # an approved 补卡 standing for a tap the guard did not make


@dataclass(frozen=True, slots=True)
class Duty:
    """One guard rostered on one shift on one local day; ``start``/``end`` are aware datetimes."""

    site_id: str
    guard_id: str
    guard_name_zh: str
    guard_name_en: str
    day: date
    shift_id: int
    shift_name_zh: str
    shift_name_en: str
    start: datetime
    end: datetime
    late_grace: timedelta = timedelta(minutes=5)
    early_grace: timedelta = timedelta(minutes=5)
    leave: str | None = None  # the kind of an approved leave that excuses this duty


def local_day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of ``day`` in ``zone``, as aware datetimes (compare with UTC columns)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def shift_bounds(day: date, starts: time, ends: time, zone: str) -> tuple[datetime, datetime]:
    """The shift's start and end on ``day``; one that ends at or before its start ends the next day."""
    tz = ZoneInfo(zone)
    end_day = day + timedelta(days=1) if ends <= starts else day
    return datetime.combine(day, starts, tzinfo=tz), datetime.combine(end_day, ends, tzinfo=tz)


_WHEN = attrgetter("occurred_at")


def fold(taps: Iterable[Tap], window: timedelta = FOLD_WINDOW) -> list[Tap]:
    """Taps with repeats folded: the first of a run stands for it and carries the run's violations.

    A run is a chain of taps of one guard at one site in one direction, each
    within ``window`` of the one before.
    """
    kept: list[Tap] = []
    runs: dict[tuple[str | None, str | None, str], tuple[int, datetime]] = {}  # -> (index in kept, last tap)
    for tap in sorted(taps, key=_WHEN):
        key = (tap.guard_id, tap.site_id, tap.direction)
        run = runs.get(key)
        # Unregistered cards are never folded together: they may be different cards.
        if run is not None and tap.guard_id is not None and tap.occurred_at - run[1] <= window:
            kept[run[0]] = replace(kept[run[0]], violations=kept[run[0]].violations + tap.violations)
            runs[key] = (run[0], tap.occurred_at)
            continue
        runs[key] = (len(kept), tap.occurred_at)
        kept.append(tap)
    return kept


def _distance(duty: Duty, tap: Tap) -> timedelta:
    anchor = duty.start if tap.direction == "in" else duty.end
    return abs(tap.occurred_at - anchor)


def assign(duties: Sequence[Duty], taps: Iterable[Tap]) -> tuple[dict[int, list[Tap]], list[Tap]]:
    """Taps per duty index, and the taps that belong to no duty."""
    by_guard: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, duty in enumerate(duties):
        by_guard[(duty.guard_id, duty.site_id)].append(i)
    # Per guard and site, duties by start: a tap's candidates are found by bisection, not by a scan of the month.
    # Compared as POSIX seconds: aware datetimes in different zones cost an offset look-up per comparison.
    span = {i: (duty.start.timestamp(), duty.end.timestamp()) for i, duty in enumerate(duties)}
    early, late = EARLY_WINDOW.total_seconds(), LATE_WINDOW.total_seconds()
    starts: dict[tuple[str, str], list[float]] = {}
    reach: dict[tuple[str, str], float] = {}  # the longest shift plus the late window: how far back to look
    for key, indexes in by_guard.items():
        indexes.sort(key=lambda i: span[i][0])
        starts[key] = [span[i][0] for i in indexes]
        reach[key] = max(span[i][1] - span[i][0] for i in indexes) + late
    claimed: dict[int, list[Tap]] = defaultdict(list)
    left: list[Tap] = []
    for tap in taps:
        key = (tap.guard_id or "", tap.site_id or "")
        indexes = by_guard.get(key, [])
        if not indexes:
            left.append(tap)
            continue
        at = tap.occurred_at.timestamp()
        low = bisect_left(starts[key], at - reach[key])
        high = bisect_right(starts[key], at + early)
        candidates = [i for i in indexes[low:high] if span[i][0] - early <= at <= span[i][1] + late]
        if len(candidates) == 1:  # nearly always: one duty's windows hold the tap
            claimed[candidates[0]].append(tap)
        elif candidates:
            # In the duties' own order, so that a tie goes to the same duty as it always has.
            claimed[min(sorted(candidates), key=lambda i: _distance(duties[i], tap))].append(tap)
        else:
            left.append(tap)
    return claimed, left


def _minutes(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 60), 0)


def duty_row(duty: Duty, taps: Sequence[Tap]) -> AttendanceRow:
    """The attendance of ``duty`` from the taps assigned to it."""
    tz = duty.start.tzinfo
    # One pass over the duty's taps (a month's report holds tens of thousands of duties).
    first_in: datetime | None = None
    last_in: datetime | None = None
    last_out: datetime | None = None
    present = corrected = False
    card_taps = violations = 0
    for t in taps:
        card_taps += not t.corrected  # a correction is not a tap of the card
        violations += t.violations
        if t.face_mismatch:
            continue
        present = True
        corrected = corrected or t.corrected
        at = t.occurred_at
        if t.direction == "in":
            first_in = at if first_in is None or at < first_in else first_in
            last_in = at if last_in is None or at > last_in else last_in
        elif t.direction == "out":
            last_out = at if last_out is None or at > last_out else last_out
    # An approved leave excuses the duty: not absent, and neither late nor early for what it covers.
    excused = duty.leave is not None
    late = not excused and first_in is not None and first_in > duty.start + duty.late_grace
    early = not excused and last_out is not None and last_out < duty.end - duty.early_grace
    worked = timedelta(0)
    if first_in is not None and last_out is not None:
        worked = min(last_out, duty.end) - max(first_in, duty.start)
    return AttendanceRow(
        guard_id=duty.guard_id,
        guard_name_zh=duty.guard_name_zh,
        guard_name_en=duty.guard_name_en,
        first_in=first_in.astimezone(tz) if first_in else None,
        last_out=last_out.astimezone(tz) if last_out else None,
        taps=card_taps,
        violations=violations,
        site_id=duty.site_id,
        day=duty.day,
        shift_id=duty.shift_id,
        shift_name_zh=duty.shift_name_zh,
        shift_name_en=duty.shift_name_en,
        shift_start=duty.start,
        shift_end=duty.end,
        late=late,
        late_minutes=_minutes(first_in - duty.start) if late and first_in else 0,
        early_leave=early,
        early_minutes=_minutes(duty.end - last_out) if early and last_out else 0,
        absent=not present and not excused,
        on_leave=excused,
        leave_kind=duty.leave,
        corrected=corrected,
        worked_minutes=_minutes(worked),
        last_in=last_in.astimezone(tz) if last_in else None,
        due_by=duty.start + duty.late_grace,
    )


def unrostered_rows(taps: Iterable[Tap], zones: dict[str, str], default_zone: str) -> list[AttendanceRow]:
    """One row per guard, site and local day (unregistered cards together under ``guard_id=None``)."""
    rows: dict[tuple[str | None, str | None, date], AttendanceRow] = {}
    for tap in sorted(taps, key=lambda t: t.occurred_at):
        at = tap.occurred_at.astimezone(ZoneInfo(zones.get(tap.site_id or "", default_zone)))
        row = rows.get((tap.guard_id, tap.site_id, at.date()))
        if row is None:
            row = AttendanceRow(
                guard_id=tap.guard_id,
                guard_name_zh=tap.guard_name_zh,
                guard_name_en=tap.guard_name_en,
                first_in=None,
                last_out=None,
                taps=0,
                violations=0,
                site_id=tap.site_id,
                day=at.date(),
            )
            rows[(tap.guard_id, tap.site_id, at.date())] = row
        row.taps += not tap.corrected
        row.violations += tap.violations
        if tap.face_mismatch:
            continue
        row.corrected = row.corrected or tap.corrected
        if tap.direction == "in":
            row.first_in = row.first_in or at
            row.last_in = at
        elif tap.direction == "out":
            row.last_out = at
    return list(rows.values())


def rows(
    duties: Sequence[Duty],
    taps: Iterable[Tap],
    zones: dict[str, str],
    default_zone: str,
    days: tuple[date, date] | None = None,
) -> list[AttendanceRow]:
    """Every duty's row and the unrostered taps' rows, ordered by day, site, then time.

    ``days`` (first, last): only the rows of those days; the neighbouring days' duties still claim their taps.
    """
    claimed, left = assign(duties, fold(taps))

    def kept(day: date | None) -> bool:
        return days is None or (day is not None and days[0] <= day <= days[1])

    result = [duty_row(duty, claimed.get(i, [])) for i, duty in enumerate(duties) if kept(duty.day)]
    result += [row for row in unrostered_rows(left, zones, default_zone) if kept(row.day)]

    def order(row: AttendanceRow) -> tuple[date, str, datetime, str]:
        when = row.shift_start or row.first_in or row.last_out or datetime.max.replace(tzinfo=ZoneInfo("UTC"))
        return (row.day or date.min, row.site_id or "", when, row.guard_id or "")

    return sorted(result, key=order)


def summarise(taps: Iterable[Tap], zone: str) -> list[AttendanceRow]:
    """Per guard, the taps of one site's local day without the roster (first in, last out, taps)."""
    return unrostered_rows(fold(taps), {}, zone)
