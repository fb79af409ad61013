"""Check-ins made with a resident ID card: the number sealed in the checkin table, clear to police and admin only."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from central import schema
from central.access.models import Role
from central.access.scope import Scope
from central.checkins.id_numbers import open_raw_event
from central.checkins.models import Checkin
from central.checkins.queries import get_checkin, list_checkins, list_violations
from central.checkins.store import record_event, record_events
from central.db import migrations
from central.db import sealing as id_protect
from central.db.engine import make_engine
from central.db.sealing import IdCipher
from central.demo.seed import JURISDICTION
from central.paging import Paging
from protocol.checkin import Card, CardKind, CheckinEvent, IdCardFields
from tests.fixtures.central import DEFAULT_AT, add_terminal, make_event

NUMBER = "11010519900728002X"  # G2's, employed by C1
MASKED = "1101**********002X"
ADMIN = Scope(actor="admin", role=Role.ADMIN)
POLICE = Scope(actor="police", role=Role.POLICE, jurisdiction=JURISDICTION)
COMPANY = Scope(actor="company", role=Role.COMPANY, company_id="C1")  # the guard's employer
FIRM = Scope(actor="firm", role=Role.FIRM, company_id="C2")  # manages S1


def id_card_event(terminal: str, number: str = NUMBER, **fields: object) -> CheckinEvent:
    event = make_event(terminal, **fields)
    holder = IdCardFields(
        name="李娜",
        sex="女",
        ethnicity="汉",
        birth_date=date(1990, 7, 28),
        address="北京市朝阳区",
        id_number=number,
        issuer="北京市公安局朝阳分局",
        valid_from="20200101",
        valid_to="20400101",
    )
    return event.model_copy(update={"card": Card(kind=CardKind.RESIDENT_ID, uid=number, id_card=holder)})


def stored_text(engine: Engine, event_id: uuid.UUID) -> str:
    """Every column of the check-in's row as the database holds it, joined."""
    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM checkin WHERE event_id = :id"), {"id": _key(engine, event_id)})
        return " ".join(str(value) for value in row.one())


def _key(engine: Engine, event_id: uuid.UUID) -> str:
    return str(event_id) if engine.dialect.name == "postgresql" else event_id.hex


def test_no_clear_number_in_the_checkin_row(engine: Engine, tmp_path: Path) -> None:
    event = id_card_event(add_terminal(engine, "S1"))
    recorded = record_event(engine, event, data_dir=tmp_path, default_jurisdiction=JURISDICTION)
    assert recorded.new

    stored = stored_text(engine, event.event_id)
    assert NUMBER not in stored
    assert NUMBER[6:14] not in stored  # not even the birth date part of the number
    assert MASKED in stored  # card_uid: what the company is shown anyway
    with Session(engine) as session:
        row = session.get(Checkin, event.event_id)
        assert row is not None
        assert (row.guard_id, row.card_id_number, row.card_uid) == ("G2", NUMBER, MASKED)
        assert row.card_id_number_hash == id_protect.lookup_hash(engine, NUMBER)
        received = open_raw_event(row.raw_event, id_protect.cipher_for(engine.dialect))
    assert received["card"]["uid"] == received["card"]["id_card"]["id_number"] == NUMBER


@pytest.mark.parametrize(("scope", "shown"), [(ADMIN, NUMBER), (POLICE, NUMBER), (COMPANY, MASKED), (FIRM, MASKED)])
def test_each_role_sees_the_number_clear_or_masked(engine: Engine, tmp_path: Path, scope: Scope, shown: str) -> None:
    at = DEFAULT_AT + timedelta(days=40, seconds=uuid.uuid4().int % 80_000)  # a moment of this test's own
    event = id_card_event(add_terminal(engine, "S1"), occurred_at=at, verify_score=0.2)  # FACE_MISMATCH
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction=JURISDICTION)
    with Session(engine) as session:
        one = get_checkin(session, scope, event.event_id)
        end = at + timedelta(seconds=1)
        listed = list_checkins(session, scope, site_id="S1", start=at, end=end, paging=Paging(limit=10)).rows
        paging = Paging(limit=1000)
        violations = list_violations(session, scope, site_id="S1", day=None, code="FACE_MISMATCH", paging=paging).rows
    assert one is not None
    assert (one.card_kind, one.card_uid) == ("resident_id", shown)
    assert [c.card_uid for c in listed if c.event_id == event.event_id] == [shown]
    assert [v.card_uid for v in violations if v.event_id == event.event_id] == [shown]


def test_a_card_uid_is_shown_as_it_is(engine: Engine, tmp_path: Path) -> None:
    event = make_event(add_terminal(engine), card_uid="04A1B2C3")
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction=JURISDICTION)
    with Session(engine) as session:
        one = get_checkin(session, COMPANY, event.event_id)
    assert one is not None
    assert (one.card_kind, one.card_uid) == ("mifare", "04A1B2C3")


def test_a_redelivered_id_card_tap_is_stored_once(engine: Engine, tmp_path: Path) -> None:
    event = id_card_event(add_terminal(engine, "S1"))
    first = record_events(engine, [event, event], data_dir=tmp_path, default_jurisdiction=JURISDICTION)
    again = record_event(engine, event, data_dir=tmp_path, default_jurisdiction=JURISDICTION)
    assert [r.new for r in first] == [True]
    assert not again.new
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM checkin WHERE event_id = :id"), {"id": _key(engine, event.event_id)}
        ).scalar_one()
    assert count == 1


def test_upgrade_seals_the_numbers_of_earlier_check_ins_and_downgrade_opens_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}", id_cipher=IdCipher.from_text(id_protect.new_key()))
    migrations.upgrade(engine, "0003")
    raw = json.dumps({"card": {"kind": "resident_id", "uid": NUMBER, "id_card": {"id_number": NUMBER}}})
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO checkin (event_id, terminal_id, seq, occurred_at, received_at, card_kind, card_uid,"
                " direction, face_status, decision_outcome, decision_code, raw_event) VALUES (:id, 'T', 1,"
                " '2026-03-02 01:00:00', '2026-03-02 01:00:01', 'resident_id', :n, 'in', 'ok', 'accepted', 'OK', :raw)"
            ),
            {"id": uuid.uuid4().hex, "n": NUMBER, "raw": raw},
        )
    migrations.upgrade(engine)
    assert schema.differences(engine) == []
    with engine.connect() as connection:
        sealed = " ".join(map(str, connection.execute(text("SELECT * FROM checkin")).one()))
    assert NUMBER not in sealed
    assert MASKED in sealed
    with Session(engine) as session:
        row = session.exec(select(Checkin)).one()
    assert (row.card_id_number, row.card_id_number_hash) == (NUMBER, id_protect.lookup_hash(engine, NUMBER))
    with engine.begin() as connection:
        command.downgrade(migrations.alembic_config(connection), "0003")
    with engine.connect() as connection:
        uid, stored = connection.execute(text("SELECT card_uid, raw_event FROM checkin")).one()
    assert uid == NUMBER
    assert json.loads(stored) == json.loads(raw)
    engine.dispose()
