"""Attendance against rostered shifts: late, early leave, absent, overnight, repeated taps."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from central.attendance.rules import Duty, Tap, fold, rows, shift_bounds

BEIJING = "Asia/Shanghai"
TZ = ZoneInfo(BEIJING)
DAY = date(2026, 3, 2)


def duty(starts: time = time(8), ends: time = time(20), day: date = DAY, shift_id: int = 1) -> Duty:
    begins, finishes = shift_bounds(day, starts, ends, BEIJING)
    return Duty("S1", "G1", "张伟", "Zhang Wei", day, shift_id, "班", "shift", begins, finishes)


def at(clock: str, day: date = DAY) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def tap(clock: str, direction: str = "in", *, day: date = DAY, mismatch: bool = False, violations: int = 0) -> Tap:
    return Tap("G1", "张伟", "Zhang Wei", at(clock, day), direction, violations, mismatch, "S1")


def only(duties: list[Duty], taps: list[Tap]) -> dict[str, object]:
    (row,) = rows(duties, taps, {"S1": BEIJING}, BEIJING)
    return asdict(row)


@pytest.mark.parametrize(
    ("taps", "expected"),
    [
        ([tap("07:50"), tap("20:02", "out")], {"late": False, "early_leave": False, "absent": False}),
        ([tap("08:05"), tap("20:00", "out")], {"late": False, "late_minutes": 0}),  # inside the 5 min grace
        ([tap("08:06"), tap("20:00", "out")], {"late": True, "late_minutes": 6}),
        ([tap("07:55"), tap("19:30", "out")], {"early_leave": True, "early_minutes": 30}),
        ([tap("07:55"), tap("19:55", "out")], {"early_leave": False}),
        ([], {"absent": True, "taps": 0, "worked_minutes": 0}),
        ([tap("07:58", mismatch=True, violations=1)], {"absent": True, "taps": 1, "violations": 1}),
        ([tap("07:30"), tap("20:30", "out")], {"worked_minutes": 12 * 60}),  # paid within the shift only
        ([tap("09:00"), tap("17:00", "out")], {"worked_minutes": 8 * 60, "late": True, "early_leave": True}),
        ([tap("08:00")], {"absent": False, "last_out": None, "worked_minutes": 0}),
    ],
    ids=[
        "on time",
        "within grace",
        "late",
        "early leave",
        "early within grace",
        "absent: no tap",
        "absent: someone else's face",
        "worked is capped by the shift",
        "late and early",
        "no tap out",
    ],
)
def test_day_shift(taps: list[Tap], expected: dict[str, object]) -> None:
    row = only([duty()], taps)
    assert {k: row[k] for k in expected} == expected


def test_overnight_shift_belongs_to_its_start_day() -> None:
    night = duty(time(20), time(8))
    (row,) = rows([night], [tap("19:50"), tap("08:03", "out", day=DAY + timedelta(days=1))], {"S1": BEIJING}, BEIJING)
    assert (row.day, row.absent, row.late, row.early_leave) == (DAY, False, False, False)
    assert row.last_out == at("08:03", DAY + timedelta(days=1))
    assert row.worked_minutes == 12 * 60


def test_day_then_night_shift_each_gets_its_own_taps() -> None:
    day_shift, night_shift = duty(), duty(time(20), time(8), shift_id=2)
    taps = [tap("07:58"), tap("20:01", "out"), tap("19:59"), tap("07:50", "out", day=DAY + timedelta(days=1))]
    first, second = rows([day_shift, night_shift], taps, {"S1": BEIJING}, BEIJING)
    assert (first.shift_id, first.first_in, first.last_out) == (1, at("07:58"), at("20:01"))
    assert (second.shift_id, second.first_in, second.early_leave) == (2, at("19:59"), True)


def test_taps_far_from_any_shift_are_unrostered() -> None:
    result = rows([duty()], [tap("07:55"), tap("20:00", "out"), tap("03:00")], {"S1": BEIJING}, BEIJING)
    rostered = [r for r in result if r.shift_id is not None]
    loose = [r for r in result if r.shift_id is None]
    assert [r.taps for r in rostered] == [2]
    assert [(r.taps, r.first_in) for r in loose] == [(1, at("03:00"))]


def test_repeated_taps_fold_into_one_carrying_their_violations() -> None:
    # 07:55, 07:56, 07:58 chain within two minutes of each other; 08:10 stands apart.
    taps = [tap("07:55", violations=1), tap("07:56", violations=1), tap("07:58"), tap("08:10")]
    folded = fold(taps)
    assert [t.occurred_at for t in folded] == [at("07:55"), at("08:10")]
    assert folded[0].violations == 2


def test_folding_keeps_directions_and_guards_apart() -> None:
    other = Tap("G2", "李娜", "Li Na", at("07:55"), "in", 0, False, "S1")
    unknown = [Tap(None, None, None, at("07:55"), "in", 1, False, "S1") for _ in range(2)]
    folded = fold([tap("07:55"), tap("07:56", "out"), other, *unknown])
    assert len(folded) == 5


def test_rows_are_ordered_by_shift_start() -> None:
    late_duty = duty(time(12), time(18), shift_id=2)
    result = rows([late_duty, duty()], [], {"S1": BEIJING}, BEIJING)
    assert [r.shift_id for r in result] == [1, 2]
