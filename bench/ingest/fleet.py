"""Simulated terminals for the ingest benchmark: a paho client each, windowed like the uplink.

Events are one template (with or without a photo) whose id, seq, terminal and
card are replaced per event, so that generating load costs next to nothing
beside what is measured. Each terminal taps the cards of its own site's guards
in turn: a batch holds as many card holders as a shift change does, so central
looks each one up as it would in production.
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt

from firmware_mocks.events import camera_sized_photo, synthetic_event
from protocol.messages import Receipt
from protocol.mqtt import MqttSettings, create_client
from protocol.topics import event_topic, receipt_topic

_ID, _SEQ, _TERMINAL = "00000000-0000-4000-8000-000000000000", 987654321, "TEMPLATE-TERMINAL"
_CARD = "0BADCAFE"  # a placeholder uid, replaced by a guard's card per event


def event_template(photo: bool) -> bytes:
    """A valid event's JSON whose id, seq and terminal are placeholders, replaced per event."""
    event = synthetic_event(
        _TERMINAL,
        seq=_SEQ,
        event_id=uuid.UUID(_ID),
        card_uid=_CARD,
        with_photo=photo,
        photo=camera_sized_photo() if photo else None,
    )
    return event.to_json()


class _SimTerminal:
    """One simulated terminal: a paho client keeping at most ``window`` events unconfirmed."""

    def __init__(self, port: int, terminal_id: str, cards: list[str], window: int) -> None:
        self.terminal_id, self._window, self._seq = terminal_id, window, 0
        self._cards = [f'"{uid}"'.encode() for uid in cards]
        self._changed = threading.Condition()
        self._unreceipted: dict[uuid.UUID, float] = {}
        self._unacked = 0
        self.latencies: list[float] = []
        self.client = create_client(MqttSettings(port=port, session_expiry_s=0), client_id=f"bench-{terminal_id}")
        self.client.max_inflight_messages_set(window)
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_a: c.subscribe(receipt_topic(terminal_id), qos=1)
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_message = self._on_receipt
        self.client.on_publish = self._on_puback
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError(f"simulated terminal {terminal_id} could not subscribe")

    def _on_receipt(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        with self._changed:
            for event_id in Receipt.model_validate_json(message.payload).event_ids:
                sent = self._unreceipted.pop(event_id, None)
                if sent is not None:
                    self.latencies.append(now - sent)
            self._changed.notify_all()

    def _on_puback(self, *_args: object) -> None:
        with self._changed:
            self._unacked -= 1
            self._changed.notify_all()

    def send(self, template: bytes, count: int, receipted: bool) -> None:
        """Publish ``count`` events; return once all are receipted (or, for the raw rate, PUBACKed)."""
        topic, terminal = event_topic(self.terminal_id), self.terminal_id.encode()

        def pending() -> int:
            return len(self._unreceipted) if receipted else self._unacked

        for _ in range(count):
            self._seq += 1
            event_id = uuid.uuid4()
            payload = (
                template.replace(_ID.encode(), str(event_id).encode(), 1)
                .replace(b'"seq":%d' % _SEQ, b'"seq":%d' % self._seq, 1)
                .replace(_TERMINAL.encode(), terminal, 1)
                .replace(b'"%s"' % _CARD.encode(), self._cards[self._seq % len(self._cards)], 1)
            )
            with self._changed:
                self._changed.wait_for(lambda: pending() < self._window)
                self._unreceipted[event_id] = time.monotonic()
                self._unacked += 1
            self.client.publish(topic, payload, qos=1)
        with self._changed:
            if not self._changed.wait_for(lambda: pending() == 0, timeout=300):
                raise RuntimeError(f"{self.terminal_id}: {pending()} events never confirmed")
            self._unreceipted.clear()


class Fleet:
    """The simulated terminals of a run; each sends from its own thread."""

    def __init__(self, port: int, cards: dict[str, list[str]], window: int) -> None:
        """``cards``: each terminal's id and the card uids its events carry in turn."""
        self.terminal_ids = list(cards)
        self._terminals = [_SimTerminal(port, t, uids, window) for t, uids in cards.items()]

    def run_receipted(self, template: bytes, total: int) -> tuple[float, list[float]]:
        """Seconds from the first publish to the last receipt, and each event's latency."""
        for terminal in self._terminals:
            terminal.latencies.clear()
        elapsed = self._run(template, total, receipted=True)
        return elapsed, [lat for t in self._terminals for lat in t.latencies]

    def run_published(self, template: bytes, total: int) -> None:
        self._run(template, total, receipted=False)

    def _run(self, template: bytes, total: int, receipted: bool) -> float:
        share = total // len(self._terminals)
        counts = [share + (1 if i < total % len(self._terminals) else 0) for i in range(len(self._terminals))]
        threads = [
            threading.Thread(target=t.send, args=(template, n, receipted))
            for t, n in zip(self._terminals, counts, strict=True)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    def close(self) -> None:
        for terminal in self._terminals:
            terminal.client.disconnect()
            terminal.client.loop_stop()
