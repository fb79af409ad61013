"""Upgrading a site's database from the previous release (tests/fixtures/releases/0.1.0):
the schema reaches head on SQLite and PostgreSQL, every record is still there and means
the same, the dashboard serves it, and the registry keeps working for new taps."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Integer, MetaData, Uuid, func, insert, select, text
from sqlmodel import Session

from central import schema
from central.app import create_app
from central.checkins.models import Checkin
from central.checkins.store import record_event, record_events
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.db import migrations
from central.db.engine import make_engine
from central.db.sealing import cipher_from_key
from central.registry.models import Guard
from protocol.checkin import parse_event
from tests.fixtures.central import make_event

RELEASE = Path(__file__).parents[2] / "fixtures" / "releases" / "0.1.0"
RELEASE_REVISION = "0007"
# Rows whose meaning an upgrade must keep: (table, key column, columns compared as stored).
KEPT = {
    "checkin": ("event_id", ("guard_id", "site_id", "occurred_at", "decision_code", "face_status", "photo_path")),
    "violation": ("id", ("event_id", "code", "article")),
    "alert": ("alert_id", ("watchlist_entry_id", "status", "jurisdiction")),
    "guard": ("id", ("name_zh", "employer_id", "level")),
    "certificate": ("number", ("guard_id", "issued_on", "revoked_on")),
    "company": ("id", ("name_zh", "kind")),
    "site": ("id", ("name_zh",)),
    "servicecontract": ("id", ("company_id", "site_id", "valid_from", "valid_to")),
    "account": ("id", ("username", "role", "company_id")),
}
DEMO_CIPHER = cipher_from_key(None, demo=True)


@dataclass
class Released:
    """A database as release 0.1.0 left it, and what it held before the upgrade."""

    engine: Engine
    data_dir: Path
    counts: dict[str, int]
    rows: dict[str, dict[object, tuple[object, ...]]]


def _release_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(gzip.decompress((RELEASE / "central.sql.gz").read_bytes()).decode())


def _copy_into_postgres(source: Engine, target: Engine) -> None:
    """The release's rows into a PostgreSQL database that release's own migrations built."""
    migrations.upgrade(target, RELEASE_REVISION)
    read_tables, write_tables = MetaData(), MetaData()
    read_tables.reflect(source)
    write_tables.reflect(target)
    with source.connect() as read, target.begin() as write:
        write.execute(text("SET session_replication_role = replica"))  # rows in any order, as a restore does
        for table in write_tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            uuids = [column.name for column in table.columns if isinstance(column.type, Uuid)]
            rows = [dict(row) for row in read.execute(select(read_tables.tables[table.name])).mappings()]
            for row in rows:
                row.update({name: uuid.UUID(row[name]) for name in uuids if row[name] is not None})
            if rows:
                write.execute(insert(table), rows)
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                write.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), MAX(id)) FROM {table.name}")
                )


def _snapshot(engine: Engine) -> tuple[dict[str, int], dict[str, dict[object, tuple[object, ...]]]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as db:
        counts = {
            name: db.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.tables.items()
            if name != "alembic_version"
        }
        rows = {}
        for name, (key, columns) in KEPT.items():
            table = tables.tables[name]
            rows[name] = {
                row[0]: tuple(row[1:]) for row in db.execute(select(table.c[key], *(table.c[c] for c in columns)))
            }
    return counts, rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def released(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Released]:
    data_dir = tmp_path / "central"
    shutil.copytree(RELEASE / "photos", data_dir / "photos")
    _release_sqlite(tmp_path / "release.sqlite3")
    sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'release.sqlite3'}", id_cipher=DEMO_CIPHER)
    if request.param == "sqlite":
        engine = sqlite_engine
    else:
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url, id_cipher=DEMO_CIPHER)
        _copy_into_postgres(sqlite_engine, engine)
        sqlite_engine.dispose()
    assert migrations.current(engine) == RELEASE_REVISION
    counts, rows = _snapshot(engine)
    yield Released(engine, data_dir, counts, rows)
    engine.dispose()


def test_upgrade_keeps_every_record_and_the_dashboard_serves_them(released: Released) -> None:
    settings = CentralSettings(
        data_dir=released.data_dir,
        client_id=f"central-upgrade-{uuid.uuid4().hex[:8]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),  # the release's photos are older than any test day
    )
    with TestClient(create_app(settings, engine=released.engine, run_ingest=False)) as client:
        assert migrations.current(released.engine) == migrations.head()
        assert schema.differences(released.engine) == []

        counts, rows = _snapshot(released.engine)
        for table, before in released.counts.items():
            assert counts.get(table, before) >= before, (
                f"{table}: {before} rows before the upgrade, {counts[table]} after"
            )
        for table, before_rows in released.rows.items():  # each row still there and unchanged (demo mode may add)
            assert {key: rows[table].get(key) for key in before_rows} == before_rows, table
        assert released.counts["checkin"] == 1226

        # ID numbers sealed by the release still open with the same key.
        with Session(released.engine) as session:
            assert session.get(Guard, "MG0000").id_number == "11010519900100000X"  # type: ignore[union-attr]

        client.post("/login", data={"username": "pingan", "password": "pingan-demo"})
        attendance = client.get("/attendance", params={"site_id": "S2", "date": "2026-12-07"})
        assert attendance.status_code == 200
        assert "张伟" in attendance.text
        assert client.get("/violations", params={"date": "2026-12-07"}).status_code == 200
        client.post("/logout")

        client.post("/login", data={"username": "police", "password": "police-demo"})
        alerts = client.get("/police/alerts")
        assert alerts.status_code == 200
        assert "孙立军" in alerts.text
        alert_id = "da7af5c76d2a4c0f9d1981744131c637"
        photo = client.get(f"/api/checkins/{alert_id}/photo")
        assert photo.status_code == 200
        assert (
            photo.content
            == (released.data_dir / "photos/2026/12/06/da7af5c7-6d2a-4c0f-9d19-81744131c637.jpg").read_bytes()
        )

    # A card the release registered still finds its holder on a new tap.
    recorded = record_event(
        released.engine,
        make_event("T-S2-GATE", card_uid="DEADBEEF", occurred_at=datetime(2026, 12, 8, 1, 0, tzinfo=UTC)),
        data_dir=released.data_dir,
        default_jurisdiction="unassigned",
    )
    assert recorded.new
    with Session(released.engine) as session:
        assert session.get(Checkin, recorded.event_id).guard_id == "G1"  # type: ignore[union-attr]


def test_check_ins_as_release_0_1_0_terminals_send_them_are_stored(engine: Engine, tmp_path: Path) -> None:
    """What the release's terminals published (its stored raw events, photos put back) passes
    today's parser and is stored with the card holder and the decision that release's central stored."""
    _release_sqlite(tmp_path / "release.sqlite3")
    with sqlite3.connect(tmp_path / "release.sqlite3") as db:
        sent = db.execute(
            "SELECT raw_event, photo_path, guard_id, decision_code FROM checkin"
            " WHERE terminal_id = 'T-S2-GATE' ORDER BY seq"
        ).fetchall()
    events = []
    for raw_event, photo_path, _, _ in sent:
        raw = json.loads(raw_event)
        raw["photo"]["data_b64"] = base64.b64encode((RELEASE / photo_path).read_bytes()).decode()
        events.append(parse_event(json.dumps(raw).encode()))

    recorded = record_events(engine, events, data_dir=tmp_path, default_jurisdiction="unassigned")

    assert len(recorded) == 9
    assert all(r.new and not r.conflict for r in recorded)
    with Session(engine) as session:
        stored = [session.get(Checkin, e.event_id) for e in events]
    assert [(s.guard_id, s.decision_code) for s in stored if s] == [(guard, code) for _, _, guard, code in sent]
    assert sum(r.alert is not None for r in recorded) == 1  # the wanted person's tap
