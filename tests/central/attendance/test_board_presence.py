"""Where a guard is now, from the day's attendance row and the clock: the board's words for the row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from central.attendance.board import BoardRow, Counts, Presence, presence
from central.attendance.rules import AttendanceRow

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
END = START + timedelta(hours=12)


def row(**fields: object) -> AttendanceRow:
    values: dict[str, object] = {
        "guard_id": "G1",
        "guard_name_zh": "张伟",
        "guard_name_en": "Zhang Wei",
        "first_in": None,
        "last_out": None,
        "taps": 0,
        "violations": 0,
        "site_id": "S2",
        "day": date(2026, 3, 2),
        "shift_id": 1,
        "shift_start": START,
        "shift_end": END,
        "due_by": START + timedelta(minutes=5),
        "absent": True,
    }
    return AttendanceRow(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (-30, Presence.NOT_YET),
        (4, Presence.NOT_YET),
        (5, Presence.MISSING),
        (719, Presence.MISSING),
        (720, Presence.ABSENT),
    ],
)
def test_a_rostered_guard_never_there_is_due_then_missing_then_absent(minutes: int, expected: Presence) -> None:
    assert presence(row(), START + timedelta(minutes=minutes)) is expected


def test_the_latest_own_tap_says_on_post_or_left() -> None:
    came, went, back = START + timedelta(minutes=9), START + timedelta(hours=4), START + timedelta(hours=5)
    now = START + timedelta(hours=6)
    assert presence(row(first_in=came, last_in=came, absent=False), now) is Presence.ON_POST
    assert presence(row(first_in=came, last_in=came, last_out=went, absent=False), now) is Presence.LEFT
    assert presence(row(first_in=came, last_in=back, last_out=went, absent=False), now) is Presence.ON_POST
    # Before the shift, a guard already there is on post, not "not due".
    assert presence(row(first_in=came, last_in=came, absent=False), START - timedelta(hours=1)) is Presence.ON_POST


def test_counts_take_the_rostered_for_expected_and_everyone_for_late_and_badges() -> None:
    now = START + timedelta(hours=1)
    came = START + timedelta(minutes=9)
    missing = row()
    late = row(first_in=came, last_in=came, late=True, late_minutes=9, absent=False)
    unrostered = row(shift_id=None, first_in=came, last_in=came, absent=False)
    rows = [
        BoardRow(missing, presence(missing, now), (), None),
        BoardRow(late, presence(late, now), ("CERT_REVOKED",), None),
        BoardRow(unrostered, presence(unrostered, now), (), None),
    ]
    counts = Counts()
    counts.add(rows)
    assert (counts.expected, counts.present, counts.missing, counts.late, counts.violations) == (2, 1, 1, 1, 1)
    assert [r.matches("missing") for r in rows] == [True, False, False]
    assert [r.matches("unrostered") for r in rows] == [False, False, True]
    assert [r.matches("violation") for r in rows] == [False, True, False]
