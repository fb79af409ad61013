"""Each terminal's roster: who is expected at its site, their cards, and the verdict central's rules give."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.checkins.rules import evaluate_standing
from central.registry.credentials import Certificate
from central.registry.models import Terminal
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import build_snapshot
from central.rosters.build import build_roster
from protocol.cards import CardTech, match_keys, parse_card
from tests.fixtures.central import make_event

DAY = date(2026, 6, 1)


def roster_of(engine: Engine, terminal_id: str = "T-S2-GATE", on: date = DAY) -> dict[str, dict]:  # type: ignore[type-arg]
    with Session(engine) as session:
        terminal = session.get(Terminal, terminal_id)
        assert terminal is not None
        return build_roster(session, terminal, on).entries


def codes(entry: dict) -> list[str]:  # type: ignore[type-arg]
    return [r["code"] for r in entry["refusals"]]


def test_the_gate_expects_the_contracted_companys_guards_with_their_verdict(engine: Engine) -> None:
    entries = roster_of(engine)
    assert sorted(entries) == ["G1", "G2", "G3", "G4", "G6"]  # 陈静 (G5) works for the firm managing S1 only
    assert codes(entries["G3"]) == ["CERT_REVOKED"]
    assert codes(entries["G4"]) == ["CERT_MISSING"]
    assert entries["G1"]["refusals"] == []
    assert entries["G3"]["refusals"][0]["message_zh"] == "保安员证已被吊销，不得上岗，已记录，请联系主管"
    assert entries["G1"]["card_keys"] == match_keys(parse_card("DEADBEEF", CardTech.ISO14443A).number)
    assert (entries["G1"]["employer"], entries["G1"]["certificate"], entries["G4"]["certificate"]) == (
        "平安卫士保安服务有限公司", "valid", "none",
    )  # fmt: skip


def test_the_roster_verdict_is_what_central_decides_for_a_tap(engine: Engine) -> None:
    """For every guard on the roster, a tap at the terminal that day breaks exactly the refusals' rules."""
    entries = roster_of(engine)
    uids = {"G1": "DEADBEEF", "G2": "04A1B2C3", "G3": "04C3D4E5", "G4": "04E5F607", "G6": "55667788"}
    at = datetime.combine(DAY, time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    with Session(engine) as session:
        for guard_id, entry in entries.items():
            event = make_event(occurred_at=at, card_uid=uids[guard_id])
            snapshot = build_snapshot(session, event)
            assert snapshot.guard is not None
            assert snapshot.guard.id == guard_id
            assert [v.code for v in evaluate_standing(snapshot)] == codes(entry), guard_id


def test_the_verdict_and_the_version_follow_the_registry(engine: Engine) -> None:
    with Session(engine) as session:
        terminal = session.get(Terminal, "T-S2-GATE")
        assert terminal is not None
        before = build_roster(session, terminal, DAY)
        assert build_roster(session, terminal, DAY).version == before.version  # nothing changed: nothing to send
        cert = session.get(Certificate, "京保证2020012345")  # 张伟's
        assert cert is not None
        cert.revoked_on = date(2026, 5, 1)
        session.add(cert)
        session.commit()
        after = build_roster(session, terminal, DAY)
    assert after.version != before.version
    assert codes(after.entries["G1"]) == ["CERT_REVOKED"]
    assert {g for g, d in after.digests().items() if before.digests()[g] != d} == {"G1"}  # an increment of one


def test_a_guard_rostered_on_a_shift_is_expected_and_judged(engine: Engine) -> None:
    with Session(engine) as session:
        shift = Shift(site_id="S1", name_zh="夜班", starts=time(20), ends=time(8))
        session.add(shift)
        session.flush()
        assert shift.id is not None
        session.add(ShiftAssignment(shift_id=shift.id, guard_id="G1", valid_from=date(2026, 1, 1)))
        session.add(Terminal(id="T-S1", site_id="S1"))
        session.commit()
    entries = roster_of(engine, "T-S1")
    assert codes(entries["G1"]) == ["NO_SERVICE_CONTRACT"]  # rostered by a company without a contract there
    assert entries["G5"]["refusals"] == []  # the managing firm's own guard


@pytest.mark.parametrize("day", [date(2027, 12, 31), date(2028, 1, 1)])
def test_the_contract_ending_ends_the_companys_place_on_the_roster(engine: Engine, day: date) -> None:
    entries = roster_of(engine, on=day)
    assert ("G1" in entries) is (day <= date(2027, 12, 31))


def test_settings_central_manages_travel_with_the_roster(engine: Engine) -> None:
    with Session(engine) as session:
        terminal = session.get(Terminal, "T-S2-GATE")
        assert terminal is not None
        before = build_roster(session, terminal, DAY)
        assert before.settings == {"check_policy": "either"}  # the site's check; the terminal's own thresholds
        terminal.verify_threshold, terminal.repeat_window_s = 0.55, 10.0
        session.add(terminal)
        session.commit()
        after = build_roster(session, terminal, DAY)
    assert after.settings == {"verify_threshold": 0.55, "repeat_window_s": 10.0, "check_policy": "either"}
    assert after.version != before.version  # a settings change is sent like a registry change
    assert after.entries == before.entries
