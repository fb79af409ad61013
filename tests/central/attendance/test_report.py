"""Attendance from the database: the roster read per weekday, taps recorded by ingest, filters."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from central.attendance.report import day_report, report
from central.checkins.store import record_event
from central.registry.cards import issue_to
from central.registry.credentials import Certificate
from central.registry.models import Guard
from central.registry.roster import Shift, ShiftAssignment
from protocol.cards import CardTech
from protocol.checkin import Direction, FaceStatus, FingerprintResult, FingerprintStatus
from tests.fixtures.central import add_terminal, make_event

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 9)


def _roster(engine: Engine, site: str) -> tuple[str, str, str]:
    """Two guards of C1 at ``site``: A on days (Mon-Fri), B on nights (every day). Returns their ids and A's card."""
    suffix = uuid.uuid4().hex[:6]
    a, b, card = f"GA-{suffix}", f"GB-{suffix}", f"CA{suffix}".upper()
    with Session(engine) as session:
        for gid in (a, b):
            session.add(Guard(id=gid, name_zh="测试", id_number=uuid.uuid4().hex[:18], employer_id="C1"))
        session.flush()
        session.add(Certificate(number=f"N-{a}", guard_id=a, issued_on=date(2020, 1, 1)))
        issue_to(session, card, CardTech.ISO14443A, a)
        day = Shift(site_id=site, name_zh=f"白班{suffix}", starts=time(8), ends=time(20))
        night = Shift(site_id=site, name_zh=f"夜班{suffix}", starts=time(20), ends=time(8))
        session.add_all([day, night])
        session.flush()
        assert day.id is not None
        assert night.id is not None
        session.add(ShiftAssignment(shift_id=day.id, guard_id=a, valid_from=date(2026, 1, 1), weekdays="12345"))
        session.add(ShiftAssignment(shift_id=night.id, guard_id=b, valid_from=MONDAY, valid_to=MONDAY))
        session.commit()
    return a, b, card


def test_day_report_reads_the_roster(engine: Engine, tmp_path: Path) -> None:
    site = "S2"
    a, b, card = _roster(engine, site)
    terminal = add_terminal(engine, site)

    def tap(day: date, clock: time, direction: Direction = Direction.IN) -> None:
        event = make_event(terminal, card_uid=card, occurred_at=datetime.combine(day, clock, TZ), direction=direction)
        record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")

    tap(MONDAY, time(8, 20))
    tap(MONDAY, time(8, 21))  # a repeat: folded
    tap(MONDAY, time(19, 0), Direction.OUT)

    with Session(engine) as session:
        mine = {r.guard_id: r for r in day_report(session, [site], MONDAY) if r.guard_id in (a, b)}
    assert (mine[a].late_minutes, mine[a].early_minutes, mine[a].taps, mine[a].absent) == (20, 60, 2, False)
    assert mine[b].absent  # rostered for the night, no tap: absent though no event arrived
    assert mine[b].shift_end == datetime.combine(date(2026, 3, 10), time(8), TZ)

    with Session(engine) as session:
        saturday = [r for r in day_report(session, [site], date(2026, 3, 14)) if r.guard_id in (a, b)]
        only_a = report(session, site_ids=[site], guard_ids=[a], first=MONDAY, last=date(2026, 3, 15))
        elsewhere = report(session, site_ids=["S3"], guard_ids=[a], first=MONDAY, last=MONDAY)
    assert saturday == []  # A works Monday to Friday; B was rostered on Monday only
    assert [(r.day, r.absent) for r in only_a] == [(date(2026, 3, 9 + i), i > 0) for i in range(5)]
    assert elsewhere == []


def test_a_tap_by_someone_elses_finger_is_not_the_holders_presence(engine: Engine, tmp_path: Path) -> None:
    site = "S2"
    a, _b, card = _roster(engine, site)
    terminal = add_terminal(engine, site)
    impostor = make_event(terminal, card_uid=card, occurred_at=datetime.combine(MONDAY, time(8, 2), TZ),
                          face_status=FaceStatus.NO_FACE, verify_score=None)  # fmt: skip
    impostor = impostor.model_copy(
        update={"fingerprint": FingerprintResult(status=FingerprintStatus.MISMATCH, score=4)}
    )
    record_event(engine, impostor, data_dir=tmp_path, default_jurisdiction="unassigned")
    with Session(engine) as session:
        row = next(r for r in day_report(session, [site], MONDAY) if r.guard_id == a)
    assert (row.taps, row.absent) == (1, True)  # counted, and the duty is an absence
