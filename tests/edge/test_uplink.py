"""The terminal's uplink against real Mosquitto: ordered delivery, receipts, resends, outages."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkSettings
from protocol import topics
from protocol.checkin import CheckinEvent, parse_event
from protocol.messages import Receipt, TerminalStatus
from protocol.mqtt import MqttSettings, create_client
from tests.fixtures.brokers import SHARED_PORT, PrivateMosquitto, require_shared_broker
from tests.fixtures.edge_events import make_event
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto


class ReceiptResponder:
    """Stands in for central: receipts every event it sees, except the first ``drop_first``."""

    def __init__(self, port: int, terminal_id: str, drop_first: int = 0) -> None:
        self.seen: list[CheckinEvent] = []
        self._drop = drop_first
        self._changed = threading.Condition()
        self._terminal_id = terminal_id
        self._client = create_client(MqttSettings(port=port), client_id=f"responder-{uuid.uuid4().hex[:8]}")
        self._client.on_message = self._on_message
        self._subscribed = threading.Event()
        self._client.on_subscribe = lambda *args: self._subscribed.set()
        self._client.on_connect = lambda c, *args: c.subscribe(topics.event_topic(terminal_id), qos=1)
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        assert self._subscribed.wait(5), "responder could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        event = parse_event(message.payload)
        with self._changed:
            self.seen.append(event)
            self._changed.notify_all()
        if self._drop > 0:
            self._drop -= 1
            return
        receipt = Receipt(event_ids=[event.event_id]).model_dump_json(by_alias=True)
        client.publish(topics.receipt_topic(self._terminal_id), receipt, qos=1)

    def wait_seen(self, count: int, timeout: float = 10) -> list[CheckinEvent]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.seen) >= count, timeout), f"saw {len(self.seen)}"
            return list(self.seen)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def wait_empty(outbox: Outbox, timeout: float = 10) -> None:
    wait_until(lambda: not outbox.stats().depth, timeout, lambda: f"outbox still holds {outbox.stats().depth} events")


def wait_resend_after(uplink: Uplink, value: float, timeout: float = 5) -> None:
    # Set on the drain and paho threads: no event to wait on.
    wait_until(lambda: uplink.resend_after_s == value, timeout, lambda: f"re-send timeout {uplink.resend_after_s}")


@pytest.fixture
def terminal_id() -> str:
    return f"T-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def start_uplink(terminal_id: str, port: int, outbox: Outbox, **settings: float) -> Uplink:
    uplink = Uplink(terminal_id, MqttSettings(port=port, reconnect_max_s=1), UplinkSettings(**settings), outbox)
    uplink.start()
    return uplink


def test_events_arrive_in_order_and_leave_the_outbox_on_receipt(terminal_id: str, outbox: Outbox) -> None:
    require_shared_broker()
    responder = ReceiptResponder(SHARED_PORT, terminal_id)
    events = [outbox.append(lambda seq: make_event(seq, terminal_id)) for _ in range(30)]
    uplink = start_uplink(terminal_id, SHARED_PORT, outbox)
    try:
        seen = responder.wait_seen(30)
        wait_empty(outbox)
    finally:
        uplink.stop()
        responder.close()
    assert [e.event_id for e in seen[:30]] == [e.event_id for e in events]


def test_an_event_without_receipt_is_sent_again(terminal_id: str, outbox: Outbox) -> None:
    require_shared_broker()
    responder = ReceiptResponder(SHARED_PORT, terminal_id, drop_first=1)
    event = outbox.append(lambda seq: make_event(seq, terminal_id))
    uplink = start_uplink(terminal_id, SHARED_PORT, outbox, resend_after_s=0.5)
    try:
        seen = responder.wait_seen(2)
        wait_empty(outbox)
    finally:
        uplink.stop()
        responder.close()
    assert [e.event_id for e in seen[:2]] == [event.event_id, event.event_id]


def test_taps_during_a_broker_outage_arrive_in_order_after_it(terminal_id: str, outbox: Outbox, tmp_path: Path) -> None:
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    # Short resend timeout: the responder may subscribe after the uplink's first send.
    uplink = start_uplink(terminal_id, broker.port, outbox, resend_after_s=1)
    try:
        assert uplink.wait_connected(5)
        broker.kill()
        events = [outbox.append(lambda seq: make_event(seq, terminal_id)) for _ in range(20)]
        broker.start()
        responder = ReceiptResponder(broker.port, terminal_id)
        assert uplink.wait_connected(10)
        uplink.wake()
        responder.wait_seen(20)
        wait_empty(outbox)
        seen = responder.wait_seen(20)  # everything seen until the last receipt
        responder.close()
    finally:
        uplink.stop()
        broker.stop()
    firsts = list(dict.fromkeys(e.event_id for e in seen))
    assert firsts == [e.event_id for e in events]


def test_status_is_retained_online_then_offline(terminal_id: str, outbox: Outbox) -> None:
    require_shared_broker()
    uplink = start_uplink(terminal_id, SHARED_PORT, outbox)
    assert uplink.wait_connected(5)
    outbox.append(lambda seq: make_event(seq, terminal_id))
    uplink.stop()

    got: list[TerminalStatus] = []
    arrived = threading.Event()
    reader = create_client(MqttSettings(port=SHARED_PORT), client_id=f"status-{uuid.uuid4().hex[:8]}")

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        got.append(TerminalStatus.model_validate_json(message.payload))
        arrived.set()

    reader.on_message = on_message
    reader.on_connect = lambda c, *args: c.subscribe(topics.status_topic(terminal_id), qos=1)
    reader.connect("127.0.0.1", SHARED_PORT)
    reader.loop_start()
    try:
        assert arrived.wait(5), "no retained status"
    finally:
        reader.disconnect()
        reader.loop_stop()
    assert got[0].terminal_id == terminal_id
    assert got[0].online is False


def test_resend_timeout_backs_off_until_a_receipt_comes(terminal_id: str, outbox: Outbox, tmp_path: Path) -> None:
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    responder = ReceiptResponder(broker.port, terminal_id, drop_first=3)
    outbox.append(lambda seq: make_event(seq, terminal_id))
    uplink = start_uplink(terminal_id, broker.port, outbox, resend_after_s=0.2, resend_max_s=0.5)
    try:
        wait_resend_after(uplink, 0.5)  # doubled while nothing came back (0.2, 0.4), capped at 0.5
        seen = responder.wait_seen(4)  # sent, then re-sent three times before the receipt
        wait_empty(outbox)
        wait_resend_after(uplink, 0.2)  # the receipt resets it
    finally:
        uplink.stop()
        responder.close()
        broker.stop()
    assert len({e.event_id for e in seen}) == 1


def test_resends_are_logged_once_a_minute_at_most(
    terminal_id: str, outbox: Outbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing receipts a backlog of events: they are re-sent window by window, but said once."""
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    responder = ReceiptResponder(broker.port, terminal_id, drop_first=10_000)
    for _ in range(30):
        outbox.append(lambda seq: make_event(seq, terminal_id))
    with caplog.at_level(logging.INFO, logger="edge.uplink"):
        uplink = start_uplink(terminal_id, broker.port, outbox, resend_after_s=0.1, resend_max_s=0.2, window=5)
        try:
            responder.wait_seen(30 * 4, timeout=30)  # every event sent and re-sent several times
        finally:
            uplink.stop()
            responder.close()
            broker.stop()
    lines = [r.getMessage() for r in caplog.records if "re-sent" in r.getMessage()]
    assert len(lines) == 1, lines
