"""Alerts POSTed to a police system's webhook, against a real HTTP server: signed (verified as
docs/webhooks.md tells a receiver to), tried again after a failure, once per alert, from a queue that
a new central picks up."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.alerts import webhooks
from central.alerts.escalation import escalate_overdue
from central.alerts.webhook_models import WebhookDelivery
from central.app import create_app
from central.checkins.store import record_event
from central.config import AlertSettings
from central.db.types import utcnow
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.tenants import demo_settings

SECRET = "wangjing-police-webhook-secret"
JURISDICTION = "110105-WJ"  # the demo's S2


def verify(secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None) -> bool:
    """As docs/webhooks.md gives it to a receiver."""
    if abs((now or time.time()) - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A police system's endpoint: answers with ``statuses`` in turn (then 200), keeps what it got."""

    url: str
    statuses: list[int] = field(default_factory=list)
    got: queue.Queue[Received] = field(default_factory=queue.Queue)

    def next(self, timeout: float = 10) -> Received:
        return self.got.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.got.put(Received(dict(self.headers.items()), body))
            self.send_response(box.statuses.pop(0) if box.statuses else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/guardpost/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


def _alert(engine: Engine, tmp_path: Path) -> uuid.UUID:
    """A wanted-person match at S2, stored now."""
    event = make_event(add_terminal(engine), card_uid="55667788", hit=wanted_hit(score=0.83),
                       occurred_at=datetime.now(UTC))  # fmt: skip
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")
    return event.event_id


def _deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery)).all())


def test_an_alert_is_signed_tried_again_after_a_failure_and_delivered_once(
    engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    before = _alert(engine, tmp_path)  # raised before the webhook was set up: not sent
    with Session(engine) as session:
        webhooks.configure(session, JURISDICTION, receiver.url, SECRET)
    alert_id = _alert(engine, tmp_path)
    receiver.statuses = [500]
    retry = webhooks.Retry(timeout_s=5, base_s=30, max_s=600)

    assert webhooks.one_round(engine, None, retry) == (0, 1)

    first = receiver.next()
    (queued,) = _deliveries(engine)
    assert (queued.alert_id, queued.attempts, queued.last_error, queued.delivered_at) == (alert_id, 1, "HTTP 500", None)
    wait = queued.next_attempt_at - utcnow()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    assert webhooks.one_round(engine, None, retry) == (0, 0)  # not due yet
    assert receiver.got.empty()

    assert webhooks.deliver_due(engine, retry, now=utcnow() + timedelta(seconds=31)) == (1, 0)

    second = receiver.next()
    for got in (first, second):
        assert got.headers["X-Guardpost-Alert-Id"] == str(alert_id)
        assert got.headers["Content-Type"] == "application/json; charset=utf-8"
        assert verify(SECRET, got.headers["X-Guardpost-Timestamp"], got.headers["X-Guardpost-Signature"], got.body)
    assert second.body == first.body  # the same alert, byte for byte: the receiver de-duplicates by alert_id
    alert = json.loads(second.body)
    assert (alert["alert_id"], alert["jurisdiction"], alert["watchlist_entry_id"]) == (str(alert_id), JURISDICTION,
                                                                                        "W-0001")  # fmt: skip
    stamp, signature = second.headers["X-Guardpost-Timestamp"], second.headers["X-Guardpost-Signature"]
    assert not verify(SECRET, stamp, signature, second.body.replace(b"W-0001", b"W-0002"))  # tampered
    assert not verify("another-secret-of-16+", stamp, signature, second.body)
    assert not verify(SECRET, stamp, signature, second.body, now=int(stamp) + 301)  # replayed later
    (done,) = _deliveries(engine)
    assert (done.attempts, done.last_error) == (2, "")
    assert done.delivered_at is not None
    assert webhooks.one_round(engine, None, retry) == (0, 0)
    assert receiver.got.empty()
    assert before not in {d.alert_id for d in _deliveries(engine)}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_queue_outlives_a_receivers_outage_and_the_leading_worker_sends_it(
    sqlite_engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    with Session(sqlite_engine) as session:
        webhooks.configure(session, JURISDICTION, f"http://127.0.0.1:{_closed_port()}/down", SECRET)
    alert_id = _alert(sqlite_engine, tmp_path)
    assert webhooks.one_round(sqlite_engine, None, webhooks.Retry(timeout_s=2, base_s=0.2)) == (0, 1)
    (down,) = _deliveries(sqlite_engine)
    assert "Connection refused" in down.last_error or "ConnectionRefused" in down.last_error

    with Session(sqlite_engine) as session:  # the police system is back, at a new address; the secret kept
        webhooks.configure(session, JURISDICTION, receiver.url, None)
    alerts = AlertSettings(webhook_check_s=0.1, webhook_retry_base_s=0.2)
    app = create_app(demo_settings(tmp_path, alerts=alerts), engine=sqlite_engine, run_ingest=False)
    with TestClient(app):  # a new central: its leading worker's rounds
        got = receiver.next(timeout=15)
    assert got.headers["X-Guardpost-Alert-Id"] == str(alert_id)
    assert verify(SECRET, got.headers["X-Guardpost-Timestamp"], got.headers["X-Guardpost-Signature"], got.body)
    (delivered,) = _deliveries(sqlite_engine)
    assert delivered.delivered_at is not None
    assert delivered.attempts == 2


def test_an_alert_escalated_after_delivery_is_sent_again_as_escalated(
    engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    with Session(engine) as session:
        webhooks.configure(session, JURISDICTION, receiver.url, SECRET)
    alert_id = _alert(engine, tmp_path)
    retry = webhooks.Retry(timeout_s=5, base_s=30, max_s=600)
    assert webhooks.one_round(engine, None, retry) == (1, 0)
    first = json.loads(receiver.next().body)
    assert first["escalated_at"] is None
    assert webhooks.one_round(engine, None, retry) == (0, 0)  # delivered: nothing more

    with Session(engine) as session:  # nobody acknowledged it in time
        (escalation,) = escalate_overdue(session, timedelta(minutes=5), now=utcnow() + timedelta(minutes=6))
    assert escalation.alert_id == alert_id

    assert webhooks.one_round(engine, None, retry) == (1, 0)
    again = receiver.next()
    assert again.headers["X-Guardpost-Alert-Id"] == str(alert_id)  # the same alert: the receiver replaces it
    assert json.loads(again.body)["escalated_at"] is not None
    assert verify(SECRET, again.headers["X-Guardpost-Timestamp"], again.headers["X-Guardpost-Signature"], again.body)
    (delivery,) = _deliveries(engine)
    assert delivery.escalated
    assert delivery.delivered_at is not None
    assert webhooks.one_round(engine, None, retry) == (0, 0)  # escalated once, sent once more
    assert receiver.got.empty()
