"""MQTT subscriber: terminal events in, receipts and police alerts out.

paho's network thread only queues messages; one worker thread takes what
has queued up (up to ``BATCH_MAX``), validates it, stores the valid events in
one transaction (``central.checkins.store``), and then publishes. A receipt is sent
only after the commit (or the dead-lettering) it reports, also for duplicates
because the terminal may have missed the first one. What was not committed is
not receipted: the terminal keeps the event in its outbox and sends it again.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from central.alerts.notices import mark_notified, unsent
from central.checkins.photo_store import photo_store
from central.checkins.store import Recorded, record_dead_letter, record_events
from central.checkins.verdicts import difference
from central.config import CentralSettings
from central.db.outage import Outage, is_outage
from central.registry.terminals import record_status
from protocol.checkin import CheckinEvent, ProtocolError, parse_event
from protocol.messages import PoliceAlert, Receipt, TerminalStatus
from protocol.mqtt import connect_async, create_client, reason_ok
from protocol.topics import (
    STATUS_FILTER,
    police_alert_topic,
    receipt_topic,
    split_terminal_topic,
    validate_terminal_id,
)

logger = logging.getLogger(__name__)

# Messages stored in one transaction, their receipts going out together after it.
# Under load batches fill up and a commit serves hundreds of events; when
# idle a batch is one message, so latency is not traded for throughput.
BATCH_MAX = 500


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class AlertAcked:
    """The broker acknowledged the police message of this alert (marked on the worker thread)."""

    alert_id: UUID


def _event_id_of(payload: bytes) -> UUID | None:
    """The event id of a payload that failed validation, if one can still be read."""
    try:
        raw = json.loads(payload)
        return UUID(str(raw["event_id"])) if isinstance(raw, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def _valid_terminal_id(terminal_id: str) -> bool:
    try:
        validate_terminal_id(terminal_id)
    except ValueError:
        return False
    return True


class Ingest:
    """Subscribe to terminal events and status; store, receipt and alert."""

    def __init__(
        self, settings: CentralSettings, engine: Engine, on_alert: Callable[[PoliceAlert], None] | None = None
    ) -> None:
        """``on_alert``: called (on the worker thread) for each police alert sent, e.g. to audit it."""
        self._settings = settings
        self._engine = engine
        self._on_alert = on_alert
        self._photos = photo_store(settings.photo_store, settings.data_dir, engine)
        self._inbox: queue.Queue[Inbound | AlertAcked | None] = queue.Queue()
        # Police messages in flight by MQTT message id; acknowledgements that came before their id was kept.
        self._alert_mids: dict[int, UUID] = {}
        self._early_acks: deque[int] = deque(maxlen=256)  # a publish() returns within microseconds
        self._mids_lock = threading.Lock()
        self._connected = threading.Event()
        self._ready = threading.Event()  # connected and subscriptions acknowledged
        self._stopping = threading.Event()
        self._sub_mid: int | None = None
        self._outage = Outage(
            "storage", "nothing is receipted; terminals keep their events and send them again when it is back"
        )
        self._worker: threading.Thread | None = None
        # New check-ins whose terminal verdict differs from central's, by kind (central.checkins.verdicts).
        self.verdict_differences: Counter[str] = Counter()
        # Called after a terminal's status is stored (the app wakes the roster publisher with it).
        self.on_status: Callable[[str], None] = lambda terminal_id: None
        self._client = create_client(settings.mqtt, settings.client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self._worker is not None:
            raise ValueError("ingest already started")
        self._worker = threading.Thread(target=self._run, name="central-ingest", daemon=True)
        self._worker.start()
        connect_async(self._client, self._settings.mqtt)
        self._client.loop_start()
        logger.info(
            "ingest connecting to %s:%s as %s",
            self._settings.mqtt.host,
            self._settings.mqtt.port,
            self._settings.client_id,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued messages (their receipts included), then disconnect."""
        if self._worker is None:
            return
        self._stopping.set()
        self._inbox.put(None)
        self._worker.join(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._ready.clear()
        self._worker = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """True once connected and subscribed (messages published after this reach us)."""
        return self._ready.wait(timeout)

    # --- paho callbacks (network thread) ---------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _ud: Any, _flags: Any, reason: ReasonCode, _props: Properties | None
    ) -> None:
        if not reason_ok(reason):
            logger.error("broker refused the connection: %s", reason)
            return
        self._connected.set()
        # Subscribe on every connect: the broker may have dropped the session.
        _rc, self._sub_mid = client.subscribe([(self._settings.event_filter, 1), (STATUS_FILTER, 1)])
        logger.info("ingest connected; subscribing to %s", self._settings.event_filter)

    def _on_connect_fail(self, _c: mqtt.Client, _ud: Any) -> None:
        # paho retries with backoff; say so, or a wrong host looks like a silent hang.
        logger.warning("cannot reach the broker at %s:%s; retrying", self._settings.mqtt.host, self._settings.mqtt.port)

    def _on_disconnect(
        self, _c: mqtt.Client, _ud: Any, _flags: Any, reason: ReasonCode, _props: Properties | None
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        self._ready.clear()
        if was_connected and not self._stopping.is_set():
            logger.warning("ingest lost the broker (%s); paho reconnects", reason)

    def _on_subscribe(
        self, _c: mqtt.Client, _ud: Any, mid: int, reasons: list[ReasonCode], _props: Properties | None
    ) -> None:
        if mid != self._sub_mid:
            return
        if all(reason_ok(r) for r in reasons):
            self._ready.set()
        else:
            logger.error("subscription refused: %s", [str(r) for r in reasons])

    def _on_message(self, _c: mqtt.Client, _ud: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(Inbound(message.topic, bytes(message.payload)))

    def _on_publish(self, _c: mqtt.Client, _ud: Any, mid: int, reason: ReasonCode, _props: Properties | None) -> None:
        if not reason_ok(reason):
            return  # refused (an ACL): left unmarked, the leader sends it again and the log says so
        with self._mids_lock:
            alert_id = self._alert_mids.pop(mid, None)
            if alert_id is None:
                self._early_acks.append(mid)  # a receipt, or an alert whose publish() has not returned yet
                return
        self._inbox.put(AlertAcked(alert_id))

    # --- worker thread --------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = self._next_batch()
            stopping = batch[-1] is None
            receipts: dict[str, list[UUID]] = defaultdict(list)
            events: list[CheckinEvent] = []
            acked = [item.alert_id for item in batch if isinstance(item, AlertAcked)]
            for item in batch:
                if item is None:
                    break
                if isinstance(item, AlertAcked):
                    continue
                try:
                    self._handle(item, receipts, events)
                except Exception:
                    logger.exception("unexpected error on %s; not receipted", item.topic)
            try:
                self._store_events(events, receipts)
                self._send_receipts(receipts)
            except Exception:
                logger.exception("batch not stored or not receipted; the terminals will send again")
            self._mark_notified(acked)

    def _mark_notified(self, alert_ids: list[UUID]) -> None:
        try:
            mark_notified(self._engine, alert_ids)
        except SQLAlchemyError as exc:  # the alerts are sent again: at least once, never lost
            self._write_failed(exc, f"{len(alert_ids)} police messages sent but not marked; they will be sent again")

    def _next_batch(self) -> list[Inbound | AlertAcked | None]:
        batch = [self._inbox.get()]
        while len(batch) < BATCH_MAX and batch[-1] is not None:
            try:
                batch.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def _handle(self, item: Inbound, receipts: dict[str, list[UUID]], events: list[CheckinEvent]) -> None:
        """Dead-letter or collect an event (stored with the rest of the batch); record a status."""
        parts = split_terminal_topic(item.topic)
        if parts is None:
            logger.warning("message on unexpected topic %s ignored", item.topic)
        elif not _valid_terminal_id(parts[0]):
            # Kept, but not receipted: no receipt topic can be built for this id.
            self._dead_letter(item, f"invalid terminal id in topic {item.topic!r}")
        elif parts[1] == "event":
            event = self._parse_event(parts[0], item, receipts)
            if event is not None:
                events.append(event)
        elif parts[1] == "status":
            self._handle_status(parts[0], item.payload)

    def _parse_event(self, terminal_id: str, item: Inbound, receipts: dict[str, list[UUID]]) -> CheckinEvent | None:
        """The valid event of ``item``, or None after dead-lettering (and receipting) it."""
        try:
            event = parse_event(item.payload)
        except ProtocolError as exc:
            reason = str(exc)
        else:
            if event.terminal_id == terminal_id:
                return event
            reason = f"event of terminal {event.terminal_id!r} on topic of {terminal_id!r}"
        event_id = self._dead_letter(item, reason)
        if event_id is not None:
            receipts[terminal_id].append(event_id)
        return None

    def _store_events(self, events: list[CheckinEvent], receipts: dict[str, list[UUID]]) -> None:
        """Store the batch's events; receipt and alert what was committed."""
        if not events:
            return
        try:
            recorded = self._record(events)
        except (SQLAlchemyError, OSError) as exc:
            if is_outage(exc):  # one by one would fail as well, each with its own traceback
                self._outage.failed(exc, len(events))
                return
            # One bad event must not hold back the rest: retry them one transaction each.
            logger.warning("batch of %d events not stored; storing them one by one", len(events), exc_info=True)
            recorded = [r for r in (self._store_one(e) for e in events) if r is not None]
        else:
            self._outage.recovered()
        by_id = {e.event_id: e for e in events}
        terminals = {e.event_id: e.terminal_id for e in events}
        for item in recorded:
            if item.new:
                self._compare_verdicts(by_id[item.event_id], item.violations)
            # DEBUG: at thousands of events per second an INFO line each is the bottleneck.
            logger.debug("event %s %s", item.event_id, "stored" if item.new else "duplicate")
            receipts[terminals[item.event_id]].append(item.event_id)
            if item.alert is not None:
                self._publish_alert(item.alert)
                if self._on_alert is not None:
                    self._on_alert(item.alert)

    def _compare_verdicts(self, event: CheckinEvent, central: tuple[str, ...]) -> None:
        kind = difference(event, central)
        if kind is None:
            return
        self.verdict_differences[kind] += 1
        logger.warning(
            "终端判定与中心不一致 / verdicts differ at %s for event %s: terminal %s %s, central %s (%s)",
            event.terminal_id, event.event_id, event.decision.outcome.value, event.decision.code,
            ",".join(central) or "in order", kind,
        )  # fmt: skip

    def _record(self, events: list[CheckinEvent]) -> list[Recorded]:
        s = self._settings
        jurisdiction = s.default_jurisdiction
        return record_events(
            self._engine, events, data_dir=s.data_dir, default_jurisdiction=jurisdiction, public_url=s.public_url,
            clock_margin_s=s.clock_skew_margin_s, photo_store=self._photos,
        )  # fmt: skip

    def _store_one(self, event: CheckinEvent) -> Recorded | None:
        try:
            return self._record([event])[0]
        except (SQLAlchemyError, OSError) as exc:
            self._write_failed(exc, f"event {event.event_id} not stored; the terminal will send it again")
            return None

    def _write_failed(self, exc: BaseException, what: str) -> None:
        """An outage is counted and said once (``Outage``); anything else is logged with its traceback."""
        if is_outage(exc):
            self._outage.failed(exc)
        else:
            logger.error(what, exc_info=exc)

    def _dead_letter(self, item: Inbound, reason: str) -> UUID | None:
        event_id = _event_id_of(item.payload)
        try:
            record_dead_letter(self._engine, item.topic, item.payload, reason, str(event_id) if event_id else None)
        except SQLAlchemyError as exc:
            self._write_failed(exc, f"dead letter from {item.topic} not stored; not receipted")
            return None
        self._outage.recovered()
        # Only the reason's head: validation details quote the payload (card uid, ID number).
        logger.warning("dead-lettered message on %s: %s", item.topic, reason.split(":", 1)[0][:200])
        return event_id

    def _handle_status(self, terminal_id: str, payload: bytes) -> None:
        if not payload:
            return  # a cleared retained message
        try:
            status = TerminalStatus.model_validate_json(payload)
        except ValidationError:
            logger.warning("unreadable status from terminal %s", terminal_id)
            return
        if status.terminal_id != terminal_id:
            logger.warning("status of %s on topic of %s ignored", status.terminal_id, terminal_id)
            return
        try:
            recorded = record_status(self._engine, status)
        except SQLAlchemyError as exc:
            self._write_failed(exc, f"status of terminal {terminal_id} not stored")
            return
        self._outage.recovered()
        if recorded:
            self.on_status(terminal_id)

    def _publish_alert(self, alert: PoliceAlert, again: bool = False) -> None:
        payload = alert.model_dump_json(by_alias=True).encode()
        info = self._client.publish(police_alert_topic(alert.jurisdiction), payload, qos=1)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            with self._mids_lock:
                if info.mid in self._early_acks:
                    self._early_acks.remove(info.mid)
                    self._inbox.put(AlertAcked(alert.alert_id))
                else:
                    self._alert_mids[info.mid] = alert.alert_id
        logger.warning(
            "WANTED match %s at %s (%s): entry %s score %.2f; police alert%s rc=%s",
            alert.alert_id,
            alert.site_id,
            alert.jurisdiction,
            alert.watchlist_entry_id,
            alert.score,
            " sent again" if again else "",
            info.rc,
        )

    def resend_unsent_alerts(self) -> int:
        """Publish again every alert stored a while ago whose police message the broker has not acknowledged."""
        if not self._connected.is_set():
            return 0
        with Session(self._engine) as session:
            messages = unsent(session, self._settings.public_url)
        for message in messages:
            self._publish_alert(message, again=True)
        return len(messages)

    def publish(self, topic: str, payload: bytes) -> bool:
        """Publish on central's connection (QoS 1); True when sent, False when the broker is not reachable now."""
        return self._client.publish(topic, payload, qos=1).rc == mqtt.MQTT_ERR_SUCCESS

    def _send_receipts(self, receipts: dict[str, list[UUID]]) -> None:
        for terminal_id, event_ids in receipts.items():
            unique = list(dict.fromkeys(event_ids))  # a batch may hold a duplicate delivery
            payload = Receipt(event_ids=unique).model_dump_json(by_alias=True).encode()
            # Offline, paho keeps a QoS 1 message and sends it after reconnecting.
            self._client.publish(receipt_topic(terminal_id), payload, qos=1)
