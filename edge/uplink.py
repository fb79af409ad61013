"""MQTT uplink of a terminal: drains the outbox in order and deletes rows on central's receipt.

A broker's PUBACK is not proof of delivery (Mosquitto killed with SIGKILL loses
acknowledged messages), so rows stay in the outbox until central's receipt
names them and are re-sent, oldest first, when no receipt came in time.

Backoff: paho reconnects with a doubling delay capped at
``MqttSettings.reconnect_max_s``; re-sends without any receipt in between
double the re-send timeout up to ``resend_max_s`` (central may be down for
hours: the terminal should not hammer the broker), and the first receipt
resets it. A status message (online, outbox depth, age of the oldest pending
event, versions) is retained on connect and every ``heartbeat_s``; the last
will retains ``online: false``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.outbox import Outbox
from protocol import topics
from protocol.levels import CURRENT, Level, event_payload, status_fields_left_out
from protocol.messages import Receipt, TerminalStatus
from protocol.mqtt import MqttSettings, connect_async, create_client, reason_ok

logger = logging.getLogger(__name__)
# Re-sends are logged at most this often, with how many there were.
RESEND_LOG_S = 60.0


class UplinkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resend_after_s: float = Field(default=15.0, gt=0, description="re-send a row with no receipt after this")
    resend_max_s: float = Field(default=300.0, gt=0, description="cap of the doubling re-send timeout")
    window: int = Field(default=200, ge=1, description="at most this many sent rows awaiting a receipt")
    heartbeat_s: float = Field(default=30.0, gt=0, description="status publish interval")
    central_level: Level = Field(
        default=CURRENT, description="protocol level of the central (1.0: release 0.1.0); docs/protocol.md"
    )


class Uplink:
    """Owns the terminal's MQTT client and a drain thread; ``wake()`` after each outbox append."""

    def __init__(
        self,
        terminal_id: str,
        mqtt_settings: MqttSettings,
        settings: UplinkSettings,
        outbox: Outbox,
        status_extra: Callable[[], dict[str, str | None]] = dict,
        on_command: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self._terminal_id = terminal_id
        self._mqtt = mqtt_settings
        self._settings = settings
        self._outbox = outbox
        self._status_extra = status_extra
        self._on_command_received = on_command
        self._wake = threading.Event()
        self._status_due = threading.Event()  # something in the status changed: publish before the heartbeat
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._sub_mid: int | None = None
        self._resend_after = settings.resend_after_s  # doubles while re-sends get no receipt
        self._resent, self._resent_logged_at = 0, -RESEND_LOG_S  # re-sends not logged yet, and when last logged
        self._broker_acks = 0
        self._thread = threading.Thread(target=self._drain_loop, name=f"uplink-{terminal_id}", daemon=True)
        self._client = create_client(mqtt_settings, client_id=f"terminal-{terminal_id}")
        self._client.will_set(topics.status_topic(terminal_id), self._status(online=False), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._client.message_callback_add(topics.receipt_topic(terminal_id), self._on_receipt)
        self._client.message_callback_add(topics.cmd_topic(terminal_id), self._on_command)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def wait_subscribed(self, timeout: float) -> bool:
        """True once the broker acknowledged the receipt and command subscriptions (commands sent after
        this reach the terminal; before, a command without a session to keep it may be lost)."""
        return self._subscribed.wait(timeout)

    @property
    def broker_acks(self) -> int:
        """PUBACKs received so far: a diagnostic, never a reason to delete a row."""
        return self._broker_acks

    @property
    def resend_after_s(self) -> float:
        """The current re-send timeout (grows while re-sends get no receipt)."""
        return self._resend_after

    def start(self) -> None:
        connect_async(self._client, self._mqtt)
        self._client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._connected.is_set():
            info = self._client.publish(
                topics.status_topic(self._terminal_id), self._status(online=False), qos=1, retain=True
            )
            info.wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def report_status(self) -> None:
        """Publish the status soon (a new roster or list applied), not only at the next heartbeat."""
        self._status_due.set()
        self._wake.set()

    # -- paho callbacks (network thread) --

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not reason_ok(reason_code):
            logger.error("broker refused terminal %s: %s", self._terminal_id, reason_code)
            return
        self._subscribed.clear()
        _rc, self._sub_mid = client.subscribe(
            [(topics.receipt_topic(self._terminal_id), 1), (topics.cmd_topic(self._terminal_id), 1)]
        )
        # Whatever was sent before the drop may be lost: send all unreceipted rows again, in order.
        self._outbox.mark_unsent()
        self._connected.set()
        self._publish_status()
        logger.info("uplink connected to %s:%s", self._mqtt.host, self._mqtt.port)
        self._wake.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, reason_codes: list[ReasonCode], properties: object
    ) -> None:
        if mid == self._sub_mid and all(reason_ok(code) for code in reason_codes):
            self._subscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set() and not self._stop.is_set():
            logger.warning("uplink lost the broker (%s); events stay in the outbox", reason_code)
        self._connected.clear()

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not reason_ok(reason_code):
            # e.g. "Not authorized": the ACL refuses this topic; the row stays and is re-sent.
            logger.error("broker refused an event of terminal %s: %s", self._terminal_id, reason_code)
            return
        self._broker_acks += 1

    def _on_receipt(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            receipt = Receipt.model_validate_json(message.payload)
        except ValidationError as exc:
            logger.warning("ignoring malformed receipt: %s", exc)
            return
        deleted = self._outbox.acknowledge(receipt.event_ids)
        logger.debug("receipt for %d events, %d deleted from outbox", len(receipt.event_ids), deleted)
        self._resend_after = self._settings.resend_after_s  # central is back: re-send promptly again
        self._wake.set()

    def _on_command(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        logger.info("command received on %s (%d bytes)", message.topic, len(message.payload))
        if self._on_command_received is None:
            return
        try:
            self._on_command_received(message.topic, bytes(message.payload))
        except Exception:  # a bad command must not take the network thread down
            logger.exception("command on %s failed", message.topic)

    # -- drain thread --

    def _drain_loop(self) -> None:
        next_heartbeat = time.monotonic() + self._settings.heartbeat_s
        while not self._stop.is_set():
            self._wake.wait(timeout=min(1.0, self._resend_after / 2))
            self._wake.clear()
            if not self._connected.is_set():
                continue
            try:
                self._send_due()
                if time.monotonic() >= next_heartbeat or self._status_due.is_set():
                    self._status_due.clear()
                    next_heartbeat = time.monotonic() + self._settings.heartbeat_s
                    self._publish_status()
            except Exception:  # the thread's top: keep draining after an unexpected error
                logger.exception("uplink drain failed; retrying")

    def _send_due(self) -> None:
        resend_after = self._resend_after
        room = self._settings.window - self._outbox.in_flight(resend_after)
        if room <= 0:
            return
        due = self._outbox.due(resend_after, limit=room)
        topic = topics.event_topic(self._terminal_id)
        sent = []
        now = time.time()
        for row in due:
            payload = event_payload(row.payload, now - row.created_at, self._settings.central_level)
            info = self._client.publish(topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                break  # disconnected meanwhile; on_connect re-sends everything in order
            sent.append(row.seq)
        self._outbox.mark_sent(sent)
        resent = sum(1 for row in due[: len(sent)] if row.sent_at is not None)
        if resent:
            # A re-send: the earlier copy got no receipt in time. Back off until one does.
            self._resend_after = min(resend_after * 2, self._settings.resend_max_s)
            self._log_resent(resent)

    def _log_resent(self, count: int) -> None:
        """One line a minute at most: after a long outage a backlog goes out a window at a time."""
        self._resent += count
        now = time.monotonic()
        if now - self._resent_logged_at >= RESEND_LOG_S:
            logger.info("re-sent %d unreceipted events; next re-send after %.0f s", self._resent, self._resend_after)
            self._resent, self._resent_logged_at = 0, now

    def _publish_status(self) -> None:
        self._client.publish(topics.status_topic(self._terminal_id), self._status(online=True), qos=1, retain=True)

    def _status(self, online: bool) -> bytes:
        stats = self._outbox.stats() if online else None
        extra = self._status_extra() if online else {}
        status = TerminalStatus(
            terminal_id=self._terminal_id,
            online=online,
            at=datetime.now(UTC) if online else None,
            software_version=extra.get("software_version"),
            watchlist_version=extra.get("watchlist_version"),
            watchlist_stale=extra.get("watchlist_stale"),
            roster_version=extra.get("roster_version"),
            roster_stale=extra.get("roster_stale"),
            outbox_depth=stats.depth if stats else None,
            oldest_pending_s=(time.time() - stats.oldest_created_at) if stats and stats.oldest_created_at else None,
        )
        left_out = status_fields_left_out(self._settings.central_level)
        return status.model_dump_json(by_alias=True, exclude=left_out).encode()
