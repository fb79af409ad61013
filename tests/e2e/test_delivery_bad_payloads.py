"""Fault 7: malformed, oversized and unknown-version payloads are dead-lettered; ingest goes on.

The bad payloads are interleaved with a real terminal's good events. Each bad
one must land in the dead-letter table with its reason and its raw bytes, be
receipted when its event id can be read (or the terminal would send it
forever), and hold back none of the good events that follow it. An oversized
event travels through the terminal's own outbox, as a camera misconfigured to
huge photos would produce it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from paho.mqtt.client import MQTTMessage
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.checkins.models import DeadLetter
from protocol.checkin import MAX_EVENT_BYTES, CheckinEvent, Photo
from protocol.messages import Receipt
from protocol.topics import event_topic, receipt_topic
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import Collector, add_terminal, make_event
from tests.fixtures.delivery import CentralUnderTest, TerminalUnderTest, assert_delivered
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto


def _bad_payloads(terminal_id: str) -> dict[str, tuple[bytes, uuid.UUID | None]]:
    """Reason central must give -> (payload, the event id central can still read from it, if any)."""
    good = json.loads(make_event(terminal_id).to_json())
    unknown_version, wrong_types, bad_photo = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    bad_sha = good["photo"]["sha256"][::-1]
    return {
        "not JSON": (b"{not json", None),
        "not UTF-8": (b"\xff\xfe\x00garbage", None),
        "not a JSON object": (b"[1, 2, 3]", None),
        "unknown schema": (
            json.dumps({**good, "schema": "guardpost.checkin/2", "event_id": str(unknown_version)}).encode(),
            unknown_version,
        ),
        "invalid event: ": (json.dumps({**good, "seq": "abc", "event_id": str(wrong_types)}).encode(), wrong_types),
        "sha256 does not match": (
            json.dumps({**good, "event_id": str(bad_photo), "photo": {**good["photo"], "sha256": bad_sha}}).encode(),
            bad_photo,
        ),
        "exceeds": (b"{" + b" " * MAX_EVENT_BYTES + b"}", None),
    }


def _oversized(terminal_id: str, seq: int) -> CheckinEvent:
    event = make_event(terminal_id, seq=seq)
    huge = Photo.from_jpeg(os.urandom(MAX_EVENT_BYTES * 3 // 4 + 1024), 4000, 3000)  # base64 > MAX_EVENT_BYTES
    return event.model_copy(update={"photo": huge})


def test_bad_payloads_are_dead_lettered_and_good_events_still_arrive(engine: Engine, tmp_path: Path) -> None:
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    central = CentralUnderTest(engine, broker.port, tmp_path / "central")
    terminal = TerminalUnderTest(add_terminal(engine), broker.port, tmp_path)
    terminal_id = terminal.terminal_id
    sender = Collector.connect(broker.port, [receipt_topic(terminal_id)])
    bad = _bad_payloads(terminal_id)
    try:
        central.start()
        terminal.start()
        good = terminal.tap(3)
        for payload, _ in bad.values():
            sender.publish(event_topic(terminal_id), payload)
            good += terminal.tap(2)
        (oversized,) = terminal.tap(1, build=_oversized)
        assert len(oversized.to_json()) > MAX_EVENT_BYTES
        good += terminal.tap(3)
        terminal.wait_drained(30)  # the oversized row too: it was receipted, not left to loop
        for _, event_id in bad.values():
            if event_id is not None:  # else the terminal would send it forever
                sender.wait_for(_receipt_for(event_id))
        wait_until(
            lambda: _dead_letters(engine, terminal_id, len(bad) + 1) is not None,
            10,
            lambda: "dead letters not all stored",
        )
        assert central.ingest is not None
        assert central.ingest.connected, "ingest stopped"
    finally:
        sender.close()
        terminal.close()
        central.stop()
        broker.kill()
    dead = _dead_letters(engine, terminal_id, len(bad) + 1)
    assert dead is not None
    for (reason, (payload, event_id)), letter in zip(bad.items(), dead, strict=False):
        assert reason in letter.reason, f"{reason!r} expected, dead-lettered as {letter.reason[:120]!r}"
        assert letter.payload == payload, f"raw bytes of the {reason!r} payload not kept"
        assert letter.event_id == (str(event_id) if event_id else None)
    assert "exceeds" in dead[-1].reason
    assert dead[-1].event_id == str(oversized.event_id)
    assert_delivered(engine, terminal_id, [e.event_id for e in good])


def _receipt_for(event_id: uuid.UUID) -> Callable[[MQTTMessage], bool]:
    return lambda message: event_id in Receipt.model_validate_json(message.payload).event_ids


def _dead_letters(engine: Engine, terminal_id: str, expected: int) -> list[DeadLetter] | None:
    with Session(engine) as session:
        rows = session.exec(
            select(DeadLetter).where(DeadLetter.topic == event_topic(terminal_id)).order_by(col(DeadLetter.id))
        ).all()
    return list(rows) if len(rows) >= expected else None
