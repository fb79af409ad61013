"""Retention (条例 25): photos and alerts kept at least 30 days, then deleted, logged and audited; nothing altered."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access.models import AuditEntry
from central.alerts.models import Alert, AlertAction
from central.app import create_app
from central.checkins.models import Checkin
from central.checkins.photo_store import PhotoStore, photo_store
from central.checkins.retention import purge
from central.checkins.store import record_event
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.db.engine import make_engine
from central.demo.seed import seed_demo_registry
from central.schema import create_db
from protocol.checkin import CheckinEvent
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.waiting import wait_until

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def private_engine(tmp_path: Path) -> Iterator[Engine]:
    # Its own database: a purge must not delete what other tests share.
    engine = make_engine(f"sqlite:///{tmp_path / 'retention.sqlite3'}")
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    yield engine
    engine.dispose()


@pytest.fixture(params=["files", "database"])
def photos(request: pytest.FixtureRequest, private_engine: Engine, tmp_path: Path) -> PhotoStore:
    return photo_store(request.param, tmp_path, private_engine)


def _tap(engine: Engine, photos: PhotoStore, terminal: str, days_ago: float, wanted: bool = False) -> CheckinEvent:
    event = make_event(terminal, occurred_at=NOW - timedelta(days=days_ago), hit=wanted_hit() if wanted else None)
    record_event(engine, event, data_dir=Path("/nonexistent"), default_jurisdiction="unassigned", photo_store=photos)
    return event


def _photo_ids(engine: Engine, photos: PhotoStore) -> set[str]:
    """The event ids whose photo the store still holds."""
    with Session(engine) as session:
        keys = [c.photo_path for c in session.exec(select(Checkin)).all() if c.photo_path]
    return {Path(key).stem for key in keys if photos.get(key) is not None}


def test_settings_refuse_less_than_thirty_days() -> None:
    for key in ("photo_days", "alert_days"):
        with pytest.raises(ValidationError):
            RetentionSettings.model_validate({key: 29})
    assert RetentionSettings(photo_days=90).photo_days == 90


def test_purge_deletes_only_what_is_past_retention(
    private_engine: Engine, photos: PhotoStore, caplog: pytest.LogCaptureFixture
) -> None:
    terminal = add_terminal(private_engine)
    old = _tap(private_engine, photos, terminal, days_ago=45)
    recent = _tap(private_engine, photos, terminal, days_ago=29)
    old_alert = _tap(private_engine, photos, terminal, days_ago=40, wanted=True)
    kept_alert = _tap(private_engine, photos, terminal, days_ago=35, wanted=True)  # alerts kept 60 days
    with Session(private_engine) as session:
        session.add(AlertAction(alert_id=old_alert.event_id, status="acknowledged", actor="police"))
        session.commit()
        before = {c.event_id: c.model_dump() for c in session.exec(select(Checkin)).all()}

    with caplog.at_level(logging.INFO, logger="central.checkins.retention"):
        report = purge(private_engine, photos, RetentionSettings(photo_days=30, alert_days=38), now=NOW)

    assert (report.photos, report.alerts) == (2, 1)  # old and old_alert's photos; kept_alert's stays with its alert
    assert str(old.event_id) not in _photo_ids(private_engine, photos)
    assert _photo_ids(private_engine, photos) == {str(recent.event_id), str(kept_alert.event_id)}
    with Session(private_engine) as session:
        assert {a.alert_id for a in session.exec(select(Alert)).all()} == {kept_alert.event_id}
        assert session.exec(select(AlertAction)).all() == []
        after = {c.event_id: c.model_dump() for c in session.exec(select(Checkin)).all()}
    assert after == before  # check-in records are neither deleted nor altered
    assert str(old_alert.event_id) in report.detail  # what the schedule writes to the audit log
    assert "photos=2" in caplog.text
    assert "alerts=1" in caplog.text


def test_purge_twice_deletes_nothing_more(private_engine: Engine, photos: PhotoStore) -> None:
    terminal = add_terminal(private_engine)
    _tap(private_engine, photos, terminal, days_ago=31)
    settings = RetentionSettings()
    assert purge(private_engine, photos, settings, now=NOW).photos == 1
    second = purge(private_engine, photos, settings, now=NOW)
    assert (second.photos, second.alerts) == (0, 0)


def test_the_service_purges_on_schedule_and_audits_each_run(private_engine: Engine, tmp_path: Path) -> None:
    terminal = add_terminal(private_engine)
    old = _tap(private_engine, photo_store("files", tmp_path, private_engine), terminal, days_ago=400)  # a year ago
    settings = CentralSettings(
        data_dir=tmp_path,
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_interval_s=1),
    )
    app = create_app(settings, engine=private_engine, run_ingest=False)

    def audited() -> list[AuditEntry]:
        with Session(private_engine) as session:
            return list(session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all())

    with TestClient(app):
        wait_until(lambda: bool(audited()), 15, lambda: "no retention.purge entry in the audit log")
    assert "photos=1" in audited()[0].detail
    assert audited()[0].actor == "system"
    assert not any((tmp_path / "photos").rglob(f"{old.event_id}.jpg"))
