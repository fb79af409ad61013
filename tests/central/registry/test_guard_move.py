"""A guard moves to another employer: the past stays the old employer's, the future is the new one's.

Through the administrator's API (the move) and each employer's API and
exports (what they see), on SQLite and PostgreSQL. The demo's 张伟 (G1) works
for 平安卫士 (C1) at S2; he moves to 锦绣物业 (C2) on 10 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from central.checkins.models import Checkin, Violation
from central.checkins.store import record_event
from central.registry.employment import Employment
from protocol.checkin import CheckinEvent
from tests.fixtures.central import make_event
from tests.fixtures.tenants import Apps

BEFORE, AFTER = date(2026, 3, 2), date(2026, 3, 11)
MOVED_ON = "2026-03-10"


def tap(apps: Apps, day: date) -> CheckinEvent:
    event = make_event(occurred_at=datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))  # 09:00 in Beijing
    record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    return event


def seen_by(apps: Apps, user: str, day: date) -> set[str]:
    rows = apps.client(user).get("/api/checkins", params={"date": day.isoformat()}).json()["data"]
    return {row["event_id"] for row in rows}


def violations_of(apps: Apps, user: str) -> set[str]:
    return {row["event_id"] for row in apps.client(user).get("/api/violations").json()["data"]}


def move(apps: Apps) -> None:
    body = {"id": "G1", "name_zh": "张伟", "id_number": "110105198503120012", "employer_id": "C2", "since": MOVED_ON}
    response = apps.client("admin").put("/api/admin/guards", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "updated"


def test_the_past_stays_with_the_old_employer(apps: Apps) -> None:
    before = tap(apps, BEFORE)
    move(apps)
    late = tap(apps, BEFORE)  # a tap of before the move, delivered after it (it waited in the outbox)
    after = tap(apps, AFTER)

    old_days = seen_by(apps, "pingan", BEFORE)
    assert {str(before.event_id), str(late.event_id)} <= old_days
    assert str(after.event_id) not in seen_by(apps, "pingan", AFTER)
    assert str(after.event_id) in seen_by(apps, "jinxiu", AFTER)
    assert not {str(before.event_id), str(late.event_id)} & seen_by(apps, "jinxiu", BEFORE)

    with Session(apps.engine) as session:
        employers = dict(session.exec(select(Checkin.event_id, Checkin.employer_id)).all())
        codes = set(session.exec(select(Violation.code).where(Violation.event_id == after.event_id)).all())
        history = session.exec(select(Employment).where(Employment.guard_id == "G1").order_by(col(Employment.id))).all()
    assert (employers[before.event_id], employers[late.event_id], employers[after.event_id]) == ("C1", "C1", "C2")
    # C2 is a self-recruiting unit: its guard at S2 (not its own premises) is out of area; C1's contract is not his.
    assert "SELF_RECRUITED_OUT_OF_AREA" in codes
    assert [(e.company_id, e.valid_from, e.valid_to) for e in history] == [
        ("C1", date(1970, 1, 1), date(2026, 3, 9)),
        ("C2", date(2026, 3, 10), None),
    ]
    assert str(after.event_id) in violations_of(apps, "jinxiu")
    assert str(after.event_id) not in violations_of(apps, "pingan")


def test_the_old_employers_attendance_and_timesheet_keep_the_guard(apps: Apps) -> None:
    tap(apps, BEFORE)
    pingan = apps.client("pingan")
    params = {"site_id": "S2", "date": BEFORE.isoformat()}

    def g1_rows() -> tuple[list[str], bytes]:
        rows = pingan.get("/api/attendance", params=params).json()["data"]
        sheet = pingan.get("/api/exports/timesheet.csv", params=params)
        assert sheet.status_code == 200
        return [row["guard_id"] for row in rows if row["guard_id"] == "G1"], sheet.content

    before_move = g1_rows()
    move(apps)
    assert g1_rows() == before_move
    assert before_move[0] == ["G1"]
    assert "张伟".encode() in before_move[1]
