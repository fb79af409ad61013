"""Check-ins by month: claimed once by event id on SQLite and PostgreSQL; on PostgreSQL one partition per month,
a DEFAULT one for impossible dates, months created ahead by the leader job, old months dropped whole."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from central.alerts.models import Alert, AlertAction
from central.checkins import partitions, retention
from central.checkins.models import Checkin, CheckinClaim, DeadLetter, Violation
from central.checkins.photo_store import photo_store
from central.checkins.queries import checkin_of
from central.checkins.retention import purge, purge_checkin_months
from central.checkins.store import Recorded, record_event
from central.config import RetentionSettings
from central.db.types import utcnow
from protocol.checkin import CheckinEvent
from tests.fixtures.central import add_terminal, make_event, wanted_hit


def _record(engine: Engine, event: CheckinEvent, tmp_path: Path) -> Recorded:
    return record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _partition_of(engine: Engine, table: str, event_id: UUID) -> str:
    with engine.connect() as connection:
        query = text(f"SELECT tableoid::regclass::text FROM {table} WHERE event_id = :id")  # noqa: S608
        return str(connection.execute(query, {"id": event_id}).scalar())


def _exists(engine: Engine, name: str) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar())


def _months(engine: Engine, *firsts: datetime) -> None:
    with engine.begin() as connection:
        for first in firsts:
            for table in partitions.TABLES:
                partitions.create_month(connection, table, first)


def test_an_event_is_stored_once_and_a_copy_with_other_content_is_dead_lettered(engine: Engine, tmp_path: Path) -> None:
    event = make_event(add_terminal(engine))
    assert _record(engine, event, tmp_path).new
    again = _record(engine, event, tmp_path)
    other = _record(engine, event.model_copy(update={"seq": event.seq + 1}), tmp_path)

    assert (again.new, again.conflict) == (False, False)
    assert (other.new, other.conflict) == (False, True)
    assert (_count(engine, Checkin), _count(engine, CheckinClaim)) == (1, 1)
    with Session(engine) as session:
        claim = session.get(CheckinClaim, event.event_id)
        letters = session.exec(select(DeadLetter).where(DeadLetter.event_id == str(event.event_id))).all()
    assert claim is not None
    assert claim.content_hash == event.content_hash()
    assert claim.occurred_at == event.occurred_at
    assert [letter.reason.split(":")[0] for letter in letters] == ["conflict"]


@pytest.mark.parametrize("occurred_at", [datetime(1999, 1, 1, tzinfo=UTC), datetime(2091, 6, 1, tzinfo=UTC)])
def test_an_event_of_an_impossible_date_is_stored_in_default_and_read_by_its_id(
    engine: Engine, tmp_path: Path, occurred_at: datetime
) -> None:
    event = make_event(add_terminal(engine), occurred_at=occurred_at, hit=wanted_hit())
    recorded = _record(engine, event, tmp_path)

    assert recorded.new
    assert "CLOCK_SKEW" in recorded.violations
    assert recorded.alert is not None
    with Session(engine) as session:
        checkin = session.get(Checkin, event.event_id)
        violations = session.exec(select(Violation.code).where(Violation.event_id == event.event_id)).all()
        alert = session.get(Alert, event.event_id)
    assert checkin is not None
    assert checkin.occurred_at == occurred_at
    assert "CLOCK_SKEW" in violations
    assert alert is not None
    if engine.dialect.name == "postgresql":
        assert _partition_of(engine, "checkin", event.event_id) == "checkin_default"
        assert _partition_of(engine, "violation", event.event_id) == "violation_default"


@pytest.mark.postgres
def test_the_job_creates_this_month_and_two_ahead_once(postgres_engine: Engine) -> None:
    created = partitions.ensure_partitions(postgres_engine, now=datetime(2031, 5, 31, 23, 59, tzinfo=UTC))

    names = [f"{t}_y2031m{m:02d}" for t in ("checkin", "violation") for m in (5, 6, 7)]
    assert created == names
    assert partitions.ensure_partitions(postgres_engine, now=datetime(2031, 5, 1, tzinfo=UTC)) == []
    assert not _exists(postgres_engine, "checkin_y2031m08")
    with postgres_engine.connect() as connection:
        bounds = connection.execute(
            text("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'checkin_y2031m06'")
        ).scalar()
    assert bounds == "FOR VALUES FROM ('2031-06-01 00:00:00+00') TO ('2031-07-01 00:00:00+00')"


@pytest.mark.postgres
def test_rows_already_in_default_move_into_their_month_when_it_is_created(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    terminal = add_terminal(postgres_engine)
    early, late = (make_event(terminal, occurred_at=datetime(2032, 9, d, 8, tzinfo=UTC)) for d in (1, 30))
    elsewhere = make_event(terminal, occurred_at=datetime(2032, 11, 1, tzinfo=UTC))
    for event in (early, late, elsewhere):
        assert "CLOCK_SKEW" in _record(postgres_engine, event, tmp_path).violations  # each has a violation row
    assert _partition_of(postgres_engine, "checkin", early.event_id) == "checkin_default"

    created = partitions.ensure_partitions(postgres_engine, now=datetime(2032, 8, 20, tzinfo=UTC))

    assert "checkin_y2032m09" in created
    assert "violation_y2032m10" in created
    for event in (early, late):
        assert _partition_of(postgres_engine, "checkin", event.event_id) == "checkin_y2032m09"
        assert _partition_of(postgres_engine, "violation", event.event_id) == "violation_y2032m09"
    assert _partition_of(postgres_engine, "checkin", elsewhere.event_id) == "checkin_default"  # no month made
    assert _count(postgres_engine, Checkin) == 3
    assert not _record(postgres_engine, early, tmp_path).new  # still claimed: a re-sent copy stays a duplicate


def _taps(engine: Engine, tmp_path: Path) -> dict[str, CheckinEvent]:
    terminal = add_terminal(engine)
    at = {
        "stray": datetime(2019, 7, 4, tzinfo=UTC),  # no month of its own: DEFAULT on PostgreSQL
        "jan": datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
        "feb": datetime(2026, 2, 1, tzinfo=UTC),
        "apr": datetime(2026, 4, 10, tzinfo=UTC),
    }
    if engine.dialect.name == "postgresql":
        _months(engine, *(datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3, 4)))
    # outbox_age_s: the terminal says it sent them at once, so each is CLOCK_SKEW (a violation row of its month).
    events = {
        name: make_event(terminal, occurred_at=moment, hit=wanted_hit()).model_copy(update={"outbox_age_s": 0.0})
        for name, moment in at.items()
    }
    for event in events.values():
        _record(engine, event, tmp_path)
    with Session(engine) as session:
        session.add(AlertAction(alert_id=events["jan"].event_id, status="acknowledged", actor="police"))
        session.commit()
    return events


def test_month_retention_deletes_exactly_the_months_past_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _taps(engine, tmp_path)
    monkeypatch.setattr(retention, "CLAIM_BATCH", 1)  # the claims go one transaction per batch

    # Kept: April (this month) and two full months before it; January and earlier go.
    dropped = purge_checkin_months(engine, 2, now=datetime(2026, 4, 20, tzinfo=UTC))

    assert dropped.cutoff == datetime(2026, 2, 1, tzinfo=UTC)
    assert dropped.checkins == 2
    assert sorted(dropped.alerts) == sorted([events["stray"].event_id, events["jan"].event_id])
    kept = {events[name].event_id for name in ("feb", "apr")}
    with Session(engine) as session:
        assert set(session.exec(select(Checkin.event_id)).all()) == kept
        assert set(session.exec(select(CheckinClaim.event_id)).all()) == kept
        assert set(session.exec(select(Violation.event_id)).all()) == kept
        assert set(session.exec(select(Alert.alert_id)).all()) == kept
        assert session.exec(select(AlertAction)).all() == []
    if engine.dialect.name == "postgresql":
        assert dropped.months == ["2026-01"]
        assert not _exists(engine, "checkin_y2026m01")
        assert not _exists(engine, "violation_y2026m01")
        assert _exists(engine, "checkin_y2026m02")
        assert _partition_of(engine, "checkin", events["feb"].event_id) == "checkin_y2026m02"
    again = purge_checkin_months(engine, 2, now=datetime(2026, 4, 20, tzinfo=UTC))
    assert (again.checkins, again.months, again.alerts) == (0, [], [])


def test_the_purge_drops_months_only_when_set_and_says_so(engine: Engine, tmp_path: Path) -> None:
    _taps(engine, tmp_path)
    photos = photo_store("files", tmp_path, engine)
    now = datetime(2026, 4, 20, tzinfo=UTC)
    alert_days = (now - datetime(2018, 1, 1, tzinfo=UTC)).days  # no alert is past alert_days

    unset = purge(engine, photos, RetentionSettings(alert_days=alert_days), now=now)
    assert (unset.checkins, _count(engine, Checkin)) == (0, 4)  # check-ins kept forever, as before
    assert "checkins=" not in unset.detail

    report = purge(engine, photos, RetentionSettings(alert_days=90, checkin_months=4), now=now)
    assert (report.checkins, report.alerts) == (1, 1)  # the stray one of 2019; January is kept with four months
    assert "checkins=1 before 2025-12-01" in report.detail


def test_month_retention_keeps_what_条例_25_and_the_alerts_need() -> None:
    assert RetentionSettings().checkin_months is None
    with pytest.raises(ValidationError):
        RetentionSettings(checkin_months=1)  # a month's rows could be 28 days old
    with pytest.raises(ValidationError):
        RetentionSettings(checkin_months=3, alert_days=120)  # dropping a month drops its alerts
    assert RetentionSettings(checkin_months=2).checkin_months == 2


@pytest.mark.postgres
def test_a_site_query_of_one_month_reads_one_partition(postgres_engine: Engine) -> None:
    _months(postgres_engine, *(datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3)))
    with postgres_engine.connect() as connection:
        plan = "\n".join(
            connection.execute(
                text(
                    "EXPLAIN SELECT * FROM checkin WHERE site_id = 'S2'"
                    " AND occurred_at >= '2026-02-01 00:00:00+00' AND occurred_at < '2026-03-01 00:00:00+00'"
                )
            ).scalars()
        )
        joined = "\n".join(
            connection.execute(
                text(
                    "EXPLAIN SELECT v.code FROM violation v JOIN checkin c"
                    " ON c.event_id = v.event_id AND c.occurred_at = v.occurred_at WHERE v.site_id = 'S2'"
                    " AND v.occurred_at >= '2026-02-01 00:00:00+00' AND v.occurred_at < '2026-03-01 00:00:00+00'"
                    " AND c.occurred_at >= '2026-02-01 00:00:00+00' AND c.occurred_at < '2026-03-01 00:00:00+00'"
                )
            ).scalars()
        )
    assert "checkin_y2026m02" in plan
    assert [name for name in ("checkin_y2026m01", "checkin_y2026m03", "checkin_default") if name in plan] == []
    assert "violation_y2026m02" in joined
    assert "violation_y2026m01" not in joined
    assert "checkin_y2026m03" not in joined


@pytest.mark.postgres
def test_a_look_up_by_event_id_reads_the_one_month_its_claim_names(postgres_engine: Engine, tmp_path: Path) -> None:
    _months(postgres_engine, *(datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3)))
    event = make_event(add_terminal(postgres_engine), occurred_at=datetime(2026, 2, 14, 9, tzinfo=UTC))
    _record(postgres_engine, event, tmp_path)
    query = select(Checkin.photo_path).where(checkin_of(event.event_id))
    sql = str(query.compile(postgres_engine, compile_kwargs={"literal_binds": True}))
    with postgres_engine.connect() as connection:
        plan = connection.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}")).scalars()
        scanned = [line for line in plan if " on checkin_" in line and "never executed" not in line]
    assert len(scanned) == 1
    assert "checkin_y2026m02" in scanned[0]
    with Session(postgres_engine) as session:
        assert session.exec(query).one() == f"photos/2026/02/14/{event.event_id}.jpg"


@pytest.mark.postgres
def test_the_leader_creates_the_months_ahead_on_schedule_and_a_follower_does_not(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(partitions, "FIRST_RUN_DELAY_S", 0.0)
    last = partitions.add_months(partitions.month_start(utcnow()), partitions.AHEAD)
    names = [partitions.partition_name(table, last) for table in ("violation", "checkin")]
    with postgres_engine.begin() as connection:
        for name in names:
            connection.execute(text(f"DROP TABLE {name}"))

    async def rounds(leads: bool) -> None:
        job = asyncio.create_task(partitions.run_schedule(postgres_engine, lambda: leads, interval_s=0.05))
        await asyncio.sleep(1.0)
        job.cancel()

    asyncio.run(rounds(leads=False))
    assert not any(_exists(postgres_engine, name) for name in names)
    asyncio.run(rounds(leads=True))
    assert all(_exists(postgres_engine, name) for name in names)


def test_the_partition_job_does_nothing_on_sqlite(sqlite_engine: Engine) -> None:
    assert partitions.ensure_partitions(sqlite_engine) == []
    asyncio.run(asyncio.wait_for(partitions.run_schedule(sqlite_engine, lambda: True), 1.0))  # returns at once
