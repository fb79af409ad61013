"""Attendance summaries: first in, last out, and taps that are not the card holder's presence."""

from __future__ import annotations

from datetime import UTC, datetime

from central.attendance.rules import Tap, summarise


def tap(hour: int, direction: str, *, mismatch: bool = False, violations: int = 0) -> Tap:
    return Tap("G2", "李娜", "Li Na", datetime(2026, 3, 2, hour, tzinfo=UTC), direction, violations, mismatch)


def test_first_in_and_last_out_in_the_site_zone() -> None:
    (row,) = summarise([tap(1, "in"), tap(5, "out"), tap(9, "out")], "Asia/Shanghai")
    assert row.first_in is not None
    assert row.last_out is not None
    assert (row.first_in.hour, row.last_out.hour, row.taps) == (9, 17, 3)


def test_a_tap_with_someone_elses_face_is_counted_but_is_not_presence() -> None:
    (row,) = summarise([tap(1, "in"), tap(2, "out", mismatch=True, violations=1)], "Asia/Shanghai")
    assert row.taps == 2
    assert row.violations == 1
    assert row.last_out is None
