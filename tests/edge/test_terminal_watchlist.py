"""A running terminal takes a signed watchlist update from its cmd topic and reports the new version."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives import serialization

from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.terminal import Terminal
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from protocol import topics
from protocol.messages import TerminalStatus
from protocol.mqtt import MqttSettings, create_client
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_watchlist_sync import KEY, update, wire_entry
from tests.fixtures.brokers import SHARED_PORT, require_shared_broker
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto


def test_signed_update_over_mqtt_swaps_the_list_and_the_status_says_so(tmp_path: Path) -> None:
    require_shared_broker()
    public_key = tmp_path / "central.pub"
    public_key.write_bytes(
        KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    terminal_id = f"T-WL-{uuid.uuid4().hex[:8]}"
    with create_mock("pn532") as reader, MockCamera() as camera:
        settings = TerminalSettings(
            terminal_id=terminal_id,
            data_dir=tmp_path,
            reader={"type": "pn532", "port": reader.port},
            camera=SnapshotCameraConfig(url=camera.url),
            mqtt=MqttSettings(port=SHARED_PORT, session_expiry_s=0),
            uplink={"heartbeat_s": 0.2},
            watchlist_sync={"public_key_file": public_key},
        )
        terminal = Terminal(settings, face=FaceEngine(FaceSettings()))
        terminal.start()
        try:
            assert terminal.uplink.wait_subscribed(10)  # a command before the SUBACK may be lost
            payload = update("r7", [wire_entry("W-7", 7)], issued_at=datetime.now(UTC))
            publisher = create_client(MqttSettings(port=SHARED_PORT), client_id=f"central-{uuid.uuid4().hex[:8]}")
            publisher.connect("127.0.0.1", SHARED_PORT)
            publisher.loop_start()
            publisher.publish(topics.cmd_topic(terminal_id), payload, qos=1).wait_for_publish(5)
            publisher.disconnect()
            publisher.loop_stop()
            status = wait_for_status(terminal_id, lambda s: s.watchlist_version == "r7")
        finally:
            terminal.stop()
    assert terminal.pipeline.watchlist.version == "r7"
    assert status.watchlist_stale is None
    assert [e.entry_id for e in terminal.pipeline.watchlist.entries] == ["W-7"]


def wait_for_status(terminal_id: str, done: Callable[[TerminalStatus], bool], timeout: float = 10) -> TerminalStatus:
    seen: list[TerminalStatus] = []
    reader = create_client(MqttSettings(port=SHARED_PORT), client_id=f"status-{uuid.uuid4().hex[:8]}")

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        seen.append(TerminalStatus.model_validate_json(message.payload))

    reader.on_message = on_message
    reader.on_connect = lambda c, *args: c.subscribe(topics.status_topic(terminal_id), qos=1)
    reader.connect("127.0.0.1", SHARED_PORT)
    reader.loop_start()
    try:
        wait_until(lambda: any(done(s) for s in seen), timeout, lambda: f"statuses seen: {seen}")
    finally:
        reader.disconnect()
        reader.loop_stop()
    return next(s for s in seen if done(s))
