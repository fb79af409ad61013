"""Migrations: an empty SQLite or PostgreSQL database upgraded to head has the models' schema,
and ``create_db``'s faster path (create_all, then stamp) gives the same schema at the same revision."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from central import schema
from central.db import migrations
from central.db.engine import make_engine
from central.schema import create_db
from tests.fixtures.central import PG_URL

NewDb = Callable[[], Engine]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDb]:
    """``new_db()``: an engine on a new, empty database of the parametrised kind."""
    engines: list[Engine] = []
    databases: list[str] = []

    def sqlite() -> Engine:
        return make_engine(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}")

    def postgres() -> Engine:
        name = f"gp_mig_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as exc:
            if os.environ.get("GUARDPOST_REQUIRE_SERVICES"):
                pytest.fail(f"PostgreSQL not reachable at {PG_URL}: {exc}")
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
        databases.append(name)
        return make_engine(f"{PG_URL.rsplit('/', 1)[0]}/{name}")

    def make() -> Engine:
        engines.append(sqlite() if request.param == "sqlite" else postgres())
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
    if databases:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            for name in databases:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_of_an_empty_database_gives_the_models_schema(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine)
    assert migrations.current(engine) == migrations.head()
    assert schema.differences(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"guard", "certificate", "shiftassignment", "companycredential", "account", "auditentry"} <= tables


def test_create_db_matches_the_migrations_and_stamps_head(new_db: NewDb) -> None:
    created, migrated = new_db(), new_db()
    create_db(created)
    migrations.upgrade(migrated)

    assert migrations.current(created) == migrations.head()
    assert schema.differences(created) == []

    def shape(engine: Engine) -> dict[str, list[tuple[str, bool]]]:
        inspector = inspect(engine)
        tables = set(schema.metadata().tables)
        return {
            t: sorted((c["name"], c["nullable"]) for c in inspector.get_columns(t))
            for t in inspector.get_table_names()
            if t in tables
        }

    assert shape(created) == shape(migrated)


def test_create_db_on_a_database_at_head_changes_nothing(new_db: NewDb) -> None:
    engine = new_db()
    create_db(engine)
    create_db(engine)  # as every start of central does
    assert migrations.current(engine) == migrations.head()
    assert schema.differences(engine) == []


def test_downgrade_to_base_removes_the_managed_tables(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine)
    with engine.begin() as connection:
        from alembic import command

        command.downgrade(migrations.alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_migrated_audit_log_refuses_update_and_delete(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO auditentry (at, actor, role, action, target, detail) VALUES (:at, 'a', 'r', 'x', '', '')"
            ),
            {"at": datetime(2026, 3, 2, tzinfo=UTC).replace(tzinfo=None)},
        )
    for statement in (
        "UPDATE auditentry SET actor = 'b'",
        "DELETE FROM auditentry",
        *AUDIT_OVERWRITES[engine.dialect.name],
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM auditentry")).scalars().all() == ["a"]


_COLUMNS = (
    "(id, at, actor, role, action, target, detail)"
    " VALUES ((SELECT min(id) FROM auditentry), CURRENT_TIMESTAMP, 'b', 'r', 'x', '', '')"
)
_UPSERT = f"INSERT INTO auditentry {_COLUMNS} ON CONFLICT (id) DO UPDATE SET actor = 'b'"
# Statements that overwrite an entry without saying UPDATE or DELETE.
AUDIT_OVERWRITES = {
    "sqlite": [f"INSERT OR REPLACE INTO auditentry {_COLUMNS}", f"REPLACE INTO auditentry {_COLUMNS}", _UPSERT],
    "postgresql": [_UPSERT, "TRUNCATE auditentry"],
}


def test_upgrade_from_0001_keeps_access_tables_create_db_had_made(new_db: NewDb) -> None:
    """A database made by create_db before access control was under migrations: stamped 0001, tables present."""
    engine = new_db()
    migrations.upgrade(engine, "0001")
    auth_tables = [SQLModel.metadata.tables[name] for name in ("account", "loginsession", "apikey", "auditentry")]
    auth_tables.append(SQLModel.metadata.tables["alertaction"])
    SQLModel.metadata.create_all(engine, tables=auth_tables)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (username, password_hash, display_name, role, demo, active, created_at) "
                "VALUES ('kept', 'h', '', 'admin', false, true, CURRENT_TIMESTAMP)"
            )
        )
    migrations.upgrade(engine)
    assert migrations.current(engine) == migrations.head()
    assert schema.differences(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM account")).scalars().all() == ["kept"]


def test_0007_gives_every_guard_its_history_and_every_checkin_its_employer(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine, "0006")
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO company (id, name_zh, name_en, kind, region) VALUES ('C1', '甲', '', 'x', '110105')")
        )
        connection.execute(
            text(
                "INSERT INTO guard (id, name_zh, name_en, id_number, id_number_hash, employer_id, level) "
                "VALUES ('G1', '张', '', 'v1:sealed', 'hash', 'C1', 4)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO checkin (event_id, terminal_id, seq, occurred_at, received_at, guard_id, card_kind, "
                "card_uid, direction, face_status, decision_outcome, decision_code, raw_event) VALUES "
                "(:event_id, 'T', 1, :at, :at, 'G1', 'mifare', 'AB', 'in', 'OK', 'accepted', 'OK', '{}')"
            ),
            {"event_id": uuid.uuid4().hex if engine.dialect.name == "sqlite" else str(uuid.uuid4()), "at": at},
        )
    migrations.upgrade(engine)
    with engine.connect() as connection:
        employment = connection.execute(text("SELECT guard_id, company_id, valid_from FROM employment")).all()
        level = connection.execute(text("SELECT guard_id, level FROM guardlevel")).all()
        employer = connection.execute(text("SELECT employer_id FROM checkin")).scalar_one()
    assert [(g, c, str(since)) for g, c, since in employment] == [("G1", "C1", "1970-01-01")]
    assert [tuple(row) for row in level] == [("G1", 4)]
    assert employer == "C1"
    assert schema.differences(engine) == []


def test_0020_keeps_the_cases_and_their_steps_and_downgrade_keeps_those_of_violations(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine, "0019")
    at = datetime(2026, 3, 2, 1, tzinfo=UTC)
    event_id = uuid.uuid4().hex if engine.dialect.name == "sqlite" else str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO checkin (event_id, terminal_id, seq, occurred_at, received_at, card_kind, "
                "card_uid, direction, face_status, decision_outcome, decision_code, raw_event) VALUES "
                "(:event_id, 'T', 1, :at, :at, 'mifare', 'AB', 'in', 'OK', 'refused', 'CERT_REVOKED', '{}')"
            ),
            {"event_id": event_id, "at": at},
        )
        connection.execute(
            text(
                "INSERT INTO violation (id, event_id, code, reason_zh, reason_en, article) "
                "VALUES (7, :event_id, 'CERT_REVOKED', '吊销', 'revoked', '')"
            ),  # fmt: skip
            {"event_id": event_id},
        )
        connection.execute(
            text("INSERT INTO violationcase (id, violation_id, code, reason_zh, reason_en, jurisdiction, status, "
                 "opened_at, updated_at) VALUES (3, 7, 'CERT_REVOKED', '吊销', 'revoked', 'J', 'open', :at, :at)"),
            {"at": at},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO violationcasestep (case_id, action, actor, role, at, note, attachment) "
                 "VALUES (3, 'open', 'police', 'police', :at, '立案', :blob)"),
            {"at": at, "blob": b"\x00\x01"},
        )  # fmt: skip
    migrations.upgrade(engine)
    assert schema.differences(engine) == []
    with engine.begin() as connection:
        steps = connection.execute(text("SELECT case_id, note, attachment FROM violationcasestep")).all()
        connection.execute(
            text("INSERT INTO violationcase (id, finding_key, code, reason_zh, reason_en, jurisdiction, status, "
                 "opened_at, updated_at) VALUES (4, 'CERT_MISSING:C1:S2:G4', 'CERT_MISSING', '无证', 'none', 'J', "
                 "'open', :at, :at)"),
            {"at": at},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO violationcasestep (case_id, action, actor, role, at, note) "
                 "VALUES (4, 'open', 'system', 'system', :at, '登记核查')"),
            {"at": at},
        )  # fmt: skip
    assert [tuple(s) for s in steps] == [(3, "立案", b"\x00\x01")]
    with engine.begin() as connection:
        from alembic import command

        command.downgrade(migrations.alembic_config(connection), "0019")
    with engine.connect() as connection:
        cases = connection.execute(text("SELECT id, violation_id FROM violationcase")).all()
        steps = connection.execute(text("SELECT case_id, note FROM violationcasestep")).all()
    assert [tuple(c) for c in cases] == [(3, 7)]  # the check's case cannot be kept without a violation
    assert [tuple(s) for s in steps] == [(3, "立案")]


def test_0029_moves_the_checkins_into_months_and_downgrade_restores_plain_tables(new_db: NewDb) -> None:
    engine = new_db()
    migrations.upgrade(engine, "0028")
    pg = engine.dialect.name == "postgresql"
    ids = [uuid.uuid4() for _ in range(3)]
    at = [
        datetime(2026, 3, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
        datetime(2025, 11, 5, tzinfo=UTC),
    ]
    with engine.begin() as connection:
        for n, (event_id, moment) in enumerate(zip(ids, at, strict=True)):
            connection.execute(
                text(
                    "INSERT INTO checkin (event_id, terminal_id, seq, occurred_at, received_at, card_kind, card_uid,"
                    " direction, face_status, decision_outcome, decision_code, raw_event, content_hash) VALUES"
                    " (:id, 'T', :n, :at, :at, 'mifare', 'AB', 'in', 'OK', 'refused', 'CERT_REVOKED', '{}', :hash)"
                ),
                {"id": str(event_id) if pg else event_id.hex, "n": n, "at": moment, "hash": f"h{n}"},
            )
        first = str(ids[0]) if pg else ids[0].hex
        connection.execute(
            text(
                "INSERT INTO violation (id, event_id, occurred_at, code, reason_zh, reason_en, article)"
                " VALUES (7, :id, :at, 'CERT_REVOKED', '吊销', 'revoked', '')"
            ),
            {"id": first, "at": at[0]},
        )
        connection.execute(
            text(
                "INSERT INTO violationcase (id, violation_id, code, reason_zh, reason_en, jurisdiction, status,"
                " opened_at, updated_at) VALUES (3, 7, 'CERT_REVOKED', '吊销', 'revoked', 'J', 'open', :at, :at)"
            ),
            {"at": at[0]},
        )
        connection.execute(
            text(
                "INSERT INTO alert (alert_id, watchlist_entry_id, score, matched_by, terminal_id, jurisdiction, status,"
                " occurred_at, created_at) VALUES (:id, 'W-1', 0.7, 'face', 'T', 'J', 'new', :at, :at)"
            ),
            {"id": first, "at": at[0]},
        )
        connection.execute(
            text("INSERT INTO alertaction (alert_id, status, actor, at, note) VALUES (:id, 'new', 'p', :at, '')"),
            {"id": first, "at": at[0]},
        )

    migrations.upgrade(engine)

    assert schema.differences(engine) == []
    with engine.begin() as connection:
        claims = connection.execute(text("SELECT occurred_at, content_hash FROM checkinevent ORDER BY content_hash"))
        assert [row[1] for row in claims] == ["h0", "h1", "h2"]
        assert connection.execute(text("SELECT count(*) FROM alertaction")).scalar() == 1
        if pg:
            rows = connection.execute(text("SELECT seq, tableoid::regclass::text FROM checkin")).all()
            where = {int(seq): str(name) for seq, name in rows}
            assert where == {0: "checkin_y2026m03", 1: "checkin_y2026m03", 2: "checkin_y2025m11"}
            kinds = connection.execute(text("SELECT relkind FROM pg_class WHERE relname IN ('checkin', 'violation')"))
            assert {row[0] for row in kinds} == {"p"}
            violation = connection.execute(text("SELECT tableoid::regclass::text FROM violation")).scalar()
            assert violation == "violation_y2026m03"
            assert connection.execute(text("SELECT to_regclass('checkin_default') IS NOT NULL")).scalar()
        # New violations still get their ids from the table's sequence.
        connection.execute(
            text(
                "INSERT INTO violation (event_id, occurred_at, code, reason_zh, reason_en, article)"
                " VALUES (:id, :at, 'LATE', '迟到', 'late', '')"
            ),
            {"id": first, "at": at[0]},
        )
        assert connection.execute(text("SELECT count(DISTINCT id) FROM violation")).scalar() == 2
        if pg:
            owned = connection.execute(text("SELECT pg_get_serial_sequence('violation', 'id')")).scalar()
            assert owned == "public.violation_id_seq"

    with engine.begin() as connection:
        from alembic import command

        command.downgrade(migrations.alembic_config(connection), "0028")
    inspector = inspect(engine)
    assert "checkinevent" not in inspector.get_table_names()
    assert inspector.get_pk_constraint("checkin")["constrained_columns"] == ["event_id"]
    assert inspector.get_pk_constraint("violation")["constrained_columns"] == ["id"]
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("violation")} == {"checkin"}
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("violationcase")} == {"violation"}
    assert "checkin" in {fk["referred_table"] for fk in inspector.get_foreign_keys("alert")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM checkin")).scalar() == 3
        assert connection.execute(text("SELECT count(*) FROM violation")).scalar() == 2
        assert connection.execute(text("SELECT violation_id FROM violationcase")).scalar() == 7
        if pg:
            kinds = connection.execute(text("SELECT relkind FROM pg_class WHERE relname IN ('checkin', 'violation')"))
            assert {row[0] for row in kinds} == {"r"}
    migrations.upgrade(engine)  # and up again
    assert schema.differences(engine) == []
