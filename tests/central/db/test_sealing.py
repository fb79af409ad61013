"""ID numbers at rest: sealed in the database, found by their keyed hash, refused with a wrong or missing key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from central import schema
from central.app import create_app
from central.config import CentralSettings
from central.db import migrations
from central.db import sealing as id_protect
from central.db.engine import make_engine
from central.db.sealing import DEMO_KEY, IdCipher, IdProtectionError, cipher_from_key
from central.demo.seed import GUARDS, WATCHLIST
from central.registry.models import Guard
from central.registry.snapshot import find_guard
from central.registry.upsert import upsert
from central.schema import create_db
from central.watchlist.models import WatchlistEntry
from protocol.checkin import CardKind
from tests.fixtures.identity import id_number

CLEAR = {g.id_number for g in GUARDS} | {w.id_number for w in WATCHLIST if w.id_number}


def test_the_database_never_holds_a_clear_number(engine: Engine) -> None:
    with engine.connect() as connection:
        stored = list(connection.execute(text("SELECT id_number, id_number_hash FROM guard")).all())
        stored += connection.execute(text("SELECT id_number, id_number_hash FROM watchlistentry")).all()
    assert len(stored) == len(CLEAR)
    for sealed, digest in stored:
        assert sealed.startswith("v1:")
        assert not any(number in sealed or number in digest for number in CLEAR)
        assert not any(number[6:14] in sealed for number in CLEAR)  # not even the birth date
    with Session(engine) as session:
        assert {g.id_number for g in session.exec(select(Guard)).all()} | {
            w.id_number for w in session.exec(select(WatchlistEntry)).all() if w.id_number
        } == CLEAR


def test_look_up_by_number_and_uniqueness_use_the_hash(engine: Engine) -> None:
    with Session(engine) as session:
        found = find_guard(session, CardKind.RESIDENT_ID, "11010519900728002x")  # lower-case check character
        assert found is not None
        assert found.id == "G2"
        assert find_guard(session, CardKind.RESIDENT_ID, "110105199007280000") is None
        row, outcome = upsert(session, Guard, {"id": "G2", "name_zh": "李娜", "id_number": "11010519900728002X"})
        assert outcome == "unchanged"  # importing the same list twice changes nothing
        with pytest.raises(IntegrityError):
            upsert(session, Guard, {"id": "G9", "name_zh": "重号", "id_number": "11010519900728002X"})
        session.rollback()
        number = id_number(1)
        moved, _ = upsert(session, Guard, {"id": "G-MOVED", "name_zh": "改号", "id_number": number})
        moved.id_number = id_number(2)
        session.add(moved)  # an ORM update keeps the hash in step
        session.commit()
        assert find_guard(session, CardKind.RESIDENT_ID, moved.id_number) == moved
        assert find_guard(session, CardKind.RESIDENT_ID, number) is None


def test_a_wrong_key_fails_clearly(sqlite_engine: Engine) -> None:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    other = make_engine(url, id_cipher=IdCipher.from_text(id_protect.new_key()))
    with Session(other) as session, pytest.raises(IdProtectionError, match="does not open"):
        session.exec(select(Guard)).all()
    other.dispose()


def test_an_engine_without_a_key_refuses_to_write_a_number(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nokey.sqlite3'}")
    create_db(engine)
    id_protect.use_by_default(None)
    with Session(engine) as session:
        session.add(Guard(id="G1", name_zh="张伟", id_number="110105198503120012"))
        with pytest.raises(StatementError, match="no id_protection key") as raised:
            session.commit()
    assert isinstance(raised.value.orig, IdProtectionError)
    engine.dispose()


@pytest.mark.parametrize(
    ("key", "demo", "match"),
    [
        (None, False, "not set"),
        (DEMO_KEY, False, "demo key"),
        ("c2hvcnQ=", False, "32 bytes"),
        ("not base64 at all!", False, "not base64"),
    ],
)
def test_settings_refuse_a_missing_or_unusable_key(key: str | None, demo: bool, match: str) -> None:
    with pytest.raises(IdProtectionError, match=match):
        cipher_from_key(key, demo=demo)


def test_demo_mode_alone_falls_back_to_the_demo_key(tmp_path: Path) -> None:
    assert cipher_from_key(None, demo=True) == id_protect.DEMO_CIPHER
    with pytest.raises(IdProtectionError, match="id_protection.key"):
        create_app(CentralSettings(data_dir=tmp_path), run_ingest=False)


def _clear_rows_at_0002(engine: Engine) -> None:
    migrations.upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO guard (id, name_zh, name_en, id_number, level) "
                                "VALUES ('G1', '张伟', '', :n, 5)"), {"n": "110105198503120012"})  # fmt: skip
        connection.execute(text("INSERT INTO watchlistentry (id, name_zh, name_en, id_number, jurisdiction, notes) "
                                "VALUES ('W-1', '孙立军', '', :n, 'J', '')"), {"n": "23010319780615341X"})  # fmt: skip


def test_upgrade_seals_clear_numbers_with_the_engines_key(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}", id_cipher=IdCipher.from_text(id_protect.new_key()))
    _clear_rows_at_0002(engine)
    migrations.upgrade(engine)
    assert schema.differences(engine) == []
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT id_number FROM guard UNION ALL SELECT id_number FROM watchlistentry"))
        assert all(s.startswith("v1:") and "1101051985" not in s for (s,) in stored)
    with Session(engine) as session:
        assert find_guard(session, CardKind.RESIDENT_ID, "110105198503120012") is not None
        entry = session.get(WatchlistEntry, "W-1")
        assert entry is not None
        assert entry.id_number == "23010319780615341X"
    engine.dispose()


def test_upgrade_without_a_key_stops_before_changing_anything(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    _clear_rows_at_0002(engine)
    id_protect.use_by_default(None)
    with pytest.raises(IdProtectionError):
        migrations.upgrade(engine)
    assert migrations.current(engine) == "0002"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id_number FROM guard")).scalar_one() == "110105198503120012"
    engine.dispose()
