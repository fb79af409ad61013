"""A police consumer of the MQTT alert feed, as a police system would subscribe to it."""

from __future__ import annotations

import logging
import threading
import uuid
from types import TracebackType
from typing import Self

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError

from protocol import topics
from protocol.messages import PoliceAlert
from protocol.mqtt import MqttSettings, connect_async, create_client, reason_ok

logger = logging.getLogger(__name__)


class PoliceFeed:
    """Collects alerts for one jurisdiction; a re-delivered alert (same alert_id) is kept once."""

    def __init__(self, settings: MqttSettings, jurisdiction: str) -> None:
        self._settings = settings
        self._topic = topics.police_alert_topic(jurisdiction)
        self._lock = threading.Lock()
        self._alerts: dict[uuid.UUID, PoliceAlert] = {}
        self._subscribed = threading.Event()
        self._received = threading.Condition(self._lock)
        self._client = create_client(settings, client_id=f"police-{jurisdiction}-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *args: self._subscribed.set()
        self._client.on_message = self._on_message

    def __enter__(self) -> Self:
        connect_async(self._client, self._settings)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("police feed could not subscribe")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_ok(reason_code):
            client.subscribe(self._topic, qos=1)
        else:
            logger.error("police feed refused by the broker: %s", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            alert = PoliceAlert.model_validate_json(message.payload)
        except ValidationError as exc:
            logger.warning("malformed police alert ignored: %s", exc)
            return
        with self._received:
            self._alerts[alert.alert_id] = alert
            self._received.notify_all()

    def _matching(self, terminal_id: str | None) -> list[PoliceAlert]:
        return [a for a in self._alerts.values() if terminal_id in (None, a.terminal_id)]

    def alerts(self, terminal_id: str | None = None) -> list[PoliceAlert]:
        """Alerts received so far, of one terminal if given (a broker may carry several deployments)."""
        with self._lock:
            return self._matching(terminal_id)

    def wait_for(self, count: int, timeout: float, terminal_id: str | None = None) -> list[PoliceAlert]:
        with self._received:
            self._received.wait_for(lambda: len(self._matching(terminal_id)) >= count, timeout)
            return self._matching(terminal_id)
