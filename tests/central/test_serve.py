"""``serve``: a worker runs the dashboard and its API, the MQTT ingest, or both, on one shared database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings
from protocol.mqtt import MqttSettings
from protocol.topics import event_topic
from tests.fixtures.central import Collector, add_terminal, make_event
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto


def _settings(data_dir: Path, port: int, serve: list[str]) -> CentralSettings:
    return CentralSettings(
        data_dir=data_dir,
        mqtt=MqttSettings(port=port, session_expiry_s=0),
        client_id=f"central-{'-'.join(serve)}-{uuid.uuid4().hex[:8]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
        serve=serve,
    )


@pytest.fixture
def split(engine: Engine, mosquitto: int, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """An ingest-only worker and an API-only worker on one database and one broker."""
    with contextlib.ExitStack() as stack:
        clients = {
            name: stack.enter_context(TestClient(
                create_app(_settings(tmp_path, mosquitto, [name]), engine=engine),  # one host: one data folder
                headers={API_KEY_HEADER: DEMO_API_KEY},
            ))
            for name in ("ingest", "api")
        }  # fmt: skip
        yield clients


def test_an_event_taken_by_the_ingest_worker_is_read_through_the_api_worker(
    engine: Engine, mosquitto: int, split: dict[str, TestClient]
) -> None:
    ingest, api = split["ingest"], split["api"]
    assert ingest.app.state.ingest.wait_ready(10)  # type: ignore[attr-defined]
    assert api.app.state.ingest is None  # type: ignore[attr-defined]
    event = make_event(add_terminal(engine))
    terminal = Collector.connect(mosquitto, [])
    try:
        terminal.publish(event_topic(event.terminal_id), event.to_json())
        wait_until(lambda: api.get(f"/api/checkins/{event.event_id}").status_code == 200, timeout=10)
    finally:
        terminal.close()
    assert api.get(f"/api/checkins/{event.event_id}/photo").status_code == 200

    # The ingest worker answers its supervisor and Prometheus, and nothing of the dashboard.
    assert ingest.get("/healthz").json()["mqtt"] is True
    assert ingest.get("/readyz").status_code == 200
    assert ingest.get("/metrics").status_code == 200
    for path in ("/", "/login", "/board", f"/api/checkins/{event.event_id}", "/api/guards", "/static/app.js"):
        assert ingest.get(path, follow_redirects=False).status_code == 404, path
    # The API worker says that it takes no events, and serves the pages.
    assert api.get("/readyz").json()["checks"]["broker"]["detail"] == "ingest not running in this process"
    assert api.get("/login").status_code == 200


@pytest.mark.parametrize("serve", [[], ["api", "api"], ["pages"]])
def test_serve_names_api_or_ingest_once_each(tmp_path: Path, serve: list[str]) -> None:
    with pytest.raises(ValidationError):
        _settings(tmp_path, 1883, serve)
