"""A terminal of this release with a central one release behind (``uplink.central_level = "1.0"``):
what it publishes through real Mosquitto validates against release 0.1.0's own schemas
(tests/fixtures/releases/0.1.0/schemas, made from that release's models), which refuse
unknown fields as its central does."""

from __future__ import annotations

import json
import queue
import uuid
from pathlib import Path

import jsonschema
import paho.mqtt.client as mqtt
import pytest

from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkSettings
from firmware_mocks.events import synthetic_event
from protocol import topics
from protocol.checkin import FingerprintResult, FingerprintStatus
from protocol.levels import CURRENT, Level
from protocol.mqtt import MqttSettings, create_client
from tests.fixtures.brokers import SHARED_PORT, require_shared_broker

pytestmark = pytest.mark.mosquitto
SCHEMAS = Path(__file__).parents[1] / "fixtures" / "releases" / "0.1.0" / "schemas"


def release_schema(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")))


def published(level: Level, tmp_path: Path) -> dict[str, dict[str, object]]:
    """The first event and status a terminal at ``level`` publishes, by kind, as JSON objects."""
    require_shared_broker()
    terminal_id = f"T-{uuid.uuid4().hex[:10]}"
    seen: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    listener = create_client(MqttSettings(port=SHARED_PORT), client_id=f"listener-{terminal_id}")
    listener.on_message = lambda _client, _userdata, message: seen.put(message)
    listener.connect("127.0.0.1", SHARED_PORT)
    listener.subscribe([(topics.event_topic(terminal_id), 1), (topics.status_topic(terminal_id), 1)])
    listener.loop_start()
    outbox = Outbox(tmp_path / f"outbox-{level}.sqlite3")
    fingerprint = FingerprintResult(status=FingerprintStatus.MATCHED, score=180)
    outbox.append(lambda seq: synthetic_event(terminal_id, seq=seq).model_copy(update={"fingerprint": fingerprint}))
    settings = UplinkSettings(central_level=level, heartbeat_s=0.2)
    uplink = Uplink(
        terminal_id,
        MqttSettings(port=SHARED_PORT),
        settings,
        outbox,
        status_extra=lambda: {"software_version": "0.2.0", "roster_version": "r-1"},
    )
    uplink.start()
    found: dict[str, dict[str, object]] = {}
    try:
        while len(found) < 2:
            message = seen.get(timeout=10)
            kind = "status" if message.topic.endswith("/status") else "checkin"
            found.setdefault(kind, json.loads(message.payload))
    finally:
        uplink.stop()
        outbox.close()
        listener.loop_stop()
        listener.disconnect()
    return found


def test_at_level_1_0_events_and_status_are_what_release_0_1_0_accepts(tmp_path: Path) -> None:
    found = published("1.0", tmp_path)

    release_schema("checkin").validate(found["checkin"])
    release_schema("status").validate(found["status"])
    assert found["status"]["software_version"] == "0.2.0"


def test_at_the_current_level_the_new_fields_go_out_and_release_0_1_0_would_refuse_them(tmp_path: Path) -> None:
    found = published(CURRENT, tmp_path)

    assert found["checkin"]["fingerprint"] == {"status": "matched", "score": 180, "reason": None}
    assert "outbox_age_s" in found["checkin"]
    assert found["status"]["roster_version"] == "r-1"
    assert not release_schema("checkin").is_valid(found["checkin"])
    assert not release_schema("status").is_valid(found["status"])
