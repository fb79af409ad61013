"""The read API on a seeded registry, over SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from central.app import create_app
from central.checkins.store import record_event
from central.config import AccessSettings, CentralSettings, RetentionSettings
from protocol.checkin import CheckinEvent, Direction
from protocol.mqtt import MqttSettings
from tests.fixtures.central import TEST_ID_PROTECTION, add_terminal, make_event, tiny_jpeg, wanted_hit

BEIJING = ZoneInfo("Asia/Shanghai")
# Each test gets its own day inside the demo contracts, so tests sharing a database do not mix.
_days = itertools.count()


@dataclass
class Api:
    client: TestClient
    engine: Engine
    terminal: str
    day: date
    data_dir: Path

    def tap(
        self, local: str, card_uid: str = "DEADBEEF", direction: Direction = Direction.IN, **kw: object
    ) -> CheckinEvent:
        """Record a tap at ``local`` (HH:MM on the test's day, or ``-1 HH:MM`` / ``+1 HH:MM``)."""
        offset, _, clock = local.rpartition(" ")
        hour, minute = map(int, clock.split(":"))
        day = self.day + timedelta(days=int(offset or 0))
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)
        event = make_event(self.terminal, card_uid=card_uid, occurred_at=at, direction=direction, **kw)
        record_event(self.engine, event, data_dir=self.data_dir, default_jurisdiction="unassigned")
        return event


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[Api]:
    settings = CentralSettings(
        data_dir=tmp_path,
        client_id="central-api-test",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
    )
    day = date(2026, 2, 1) + timedelta(days=next(_days))
    app = create_app(settings, engine=engine, run_ingest=False)
    with TestClient(app, headers={API_KEY_HEADER: DEMO_API_KEY}) as client:
        yield Api(client, engine, add_terminal(engine), day, tmp_path)


def test_attendance_counts_local_day_first_in_last_out(api: Api) -> None:
    api.tap("-1 23:30")  # the evening before: another day
    api.tap("07:05")  # 23:05 UTC the day before, but 07:05 in Beijing: this day
    api.tap("12:00")
    api.tap("20:03", direction=Direction.OUT)
    api.tap("08:10", card_uid="04C3D4E5")  # G3, certificate revoked
    api.tap("+1 00:30", direction=Direction.OUT)  # after midnight: the next day

    response = api.client.get("/api/attendance", params={"date": api.day.isoformat(), "site_id": "S2"})

    assert response.status_code == 200
    rows = {row["guard_id"]: row for row in response.json()["data"]}
    assert set(rows) == {"G1", "G3"}
    g1 = rows["G1"]
    assert (g1["guard_name_zh"], g1["taps"], g1["violations"]) == ("张伟", 3, 0)
    assert g1["first_in"].startswith(f"{api.day.isoformat()}T07:05:00")
    assert g1["first_in"].endswith("+08:00")
    assert g1["last_out"].startswith(f"{api.day.isoformat()}T20:03:00")
    assert (rows["G3"]["taps"], rows["G3"]["violations"], rows["G3"]["last_out"]) == (1, 1, None)


def test_attendance_of_unknown_site_is_404(api: Api) -> None:
    response = api.client.get("/api/attendance", params={"date": api.day.isoformat(), "site_id": "NOPE"})
    assert response.status_code == 404


def test_attendance_needs_a_valid_date(api: Api) -> None:
    response = api.client.get("/api/attendance", params={"date": "2026-13-45", "site_id": "S2"})
    assert response.status_code == 422


def test_violations_carry_reasons_in_both_languages(api: Api) -> None:
    revoked = api.tap("08:10", card_uid="04C3D4E5")
    api.tap("09:00")  # in order: no violation

    response = api.client.get("/api/violations", params={"date": api.day.isoformat(), "site_id": "S2"})

    assert response.status_code == 200
    body = response.json()["data"]
    assert [(v["event_id"], v["code"], v["guard_id"]) for v in body] == [(str(revoked.event_id), "CERT_REVOKED", "G3")]
    assert "吊销" in body[0]["reason_zh"]
    assert "revoked" in body[0]["reason_en"]
    assert "第16条" in body[0]["article"]


def test_alert_is_listed_with_its_photo(api: Api) -> None:
    event = api.tap("10:00", card_uid="55667788", hit=wanted_hit())

    alerts = api.client.get("/api/alerts", params={"jurisdiction": "110105-WJ", "status": "new"}).json()["data"]
    mine = [a for a in alerts if a["alert_id"] == str(event.event_id)]
    assert len(mine) == 1
    assert (mine[0]["watchlist_entry_id"], mine[0]["watchlist_name"], mine[0]["site_id"]) == ("W-0001", "孙立军", "S2")

    photo = api.client.get(mine[0]["photo_url"])
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content == tiny_jpeg()


def test_missing_photo_is_404(api: Api) -> None:
    no_photo = api.tap("10:00", with_photo=False)
    assert api.client.get(f"/api/checkins/{no_photo.event_id}/photo").status_code == 404
    assert api.client.get(f"/api/checkins/{uuid.uuid4()}/photo").status_code == 404


def test_health_without_ingest(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "mqtt": None}


def test_health_reports_mqtt_down(sqlite_engine: Engine, tmp_path: Path) -> None:
    # Nothing listens on port 1 of localhost: ingest cannot connect.
    settings = CentralSettings(
        data_dir=tmp_path,
        mqtt=MqttSettings(port=1),
        client_id=f"t-{uuid.uuid4().hex[:8]}",
        id_protection=TEST_ID_PROTECTION,
    )
    with TestClient(create_app(settings, engine=sqlite_engine)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": True, "mqtt": False}


def test_police_workflow_moves_forward_only(api: Api) -> None:
    event = api.tap("10:00", card_uid="55667788", hit=wanted_hit())
    url = f"/api/alerts/{event.event_id}/status"

    acknowledged = api.client.post(url, json={"status": "acknowledged"})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert api.client.post(url, json={"status": "new"}).status_code == 409
    assert api.client.post(url, json={"status": "false_positive"}).status_code == 422  # no note
    assert api.client.post(url, json={"status": "false_positive", "note": "照片非本人"}).json()["status"] == (
        "false_positive"
    )
    refused = api.client.post(url, json={"status": "dispatched"})
    assert refused.status_code == 409
    assert (
        refused.json()["detail"]
        == "告警当前为「误报」，不能改为「已出警」 / the alert is false positive: it cannot be set to dispatched"
    )
    assert api.client.post(f"/api/alerts/{uuid.uuid4()}/status", json={"status": "dispatched"}).status_code == 404
