"""Fault 4: central is down for a burst, then up: every event stored once, every alert raised once.

The broker queues only ``max_queued_messages`` for central's offline session
and drops the rest without telling anyone, so both recovery paths run: the
queued events arrive when central returns, the dropped ones when the terminal
re-sends them, and the re-sent copies of the queued ones are duplicates that
must add nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from central.alerts.models import Alert
from central.checkins.models import Violation
from protocol.checkin import CheckinEvent
from protocol.messages import PoliceAlert
from protocol.topics import police_alert_topic
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import Collector, add_terminal, make_event, wanted_hit
from tests.fixtures.delivery import CentralUnderTest, TerminalUnderTest, assert_delivered
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto

BURST = 300
QUEUED = 50  # what the broker keeps for offline central; the rest it drops
WANTED_EVERY = 25  # every 25th tap matches the wanted-persons list


def _tap(terminal_id: str, seq: int) -> CheckinEvent:
    if seq % WANTED_EVERY == 0:
        return make_event(terminal_id, seq=seq, card_uid="55667788", hit=wanted_hit())
    return make_event(terminal_id, seq=seq, verify_score=0.2)  # a FACE_MISMATCH violation each


def test_events_sent_while_central_is_down_are_stored_once(engine: Engine, tmp_path: Path) -> None:
    broker = PrivateMosquitto(tmp_path / "broker", f"max_queued_messages {QUEUED}\n")
    broker.start()
    central = CentralUnderTest(engine, broker.port, tmp_path / "central", session_expiry_s=60)
    terminal = TerminalUnderTest(add_terminal(engine), broker.port, tmp_path)
    police = Collector.connect(broker.port, [police_alert_topic("110105-WJ")])
    try:
        central.start()
        terminal.start()
        central.stop()
        terminal.tap(BURST, build=_tap)
        wait_until(lambda: terminal.uplink.broker_acks >= BURST, 15, lambda: "the broker took the burst")
        central.start()
        terminal.wait_drained(40)
        alerts = _wait_alerts(police, terminal, BURST // WANTED_EVERY)
    finally:
        police.close()
        terminal.close()
        central.stop()
        broker.kill()
    ids = [e.event_id for e in terminal.committed[:BURST]]
    assert_delivered(engine, terminal.terminal_id, ids, may_add=1)  # + the flush tap
    with Session(engine) as session:
        violations = session.exec(select(func.count()).where(col(Violation.event_id).in_(ids))).one()
        stored_alerts = session.exec(select(func.count()).where(col(Alert.alert_id).in_(ids))).one()
    assert violations == BURST - BURST // WANTED_EVERY, "one FACE_MISMATCH per mismatching tap, never two"
    assert stored_alerts == BURST // WANTED_EVERY
    assert len(alerts) == len(set(alerts)) == BURST // WANTED_EVERY, "a re-delivered event raised a second alert"


def _wait_alerts(police: Collector, terminal: TerminalUnderTest, expected: int) -> list[str]:
    """Police alert ids received, up to a final flush tap's alert.

    Central publishes alerts in the order it handles events, and handles a
    terminal's messages in the order it sent them, so a duplicate alert for an
    earlier event would arrive before the flush tap's alert.
    """
    (flush,) = terminal.tap(1, build=lambda terminal_id, seq: make_event(terminal_id, seq=seq, hit=wanted_hit()))
    police.wait_for(lambda m: PoliceAlert.model_validate_json(m.payload).alert_id == flush.event_id, timeout=20)
    alert_ids = [str(PoliceAlert.model_validate_json(m.payload).alert_id) for m in police.seen]
    assert alert_ids[-1] == str(flush.event_id)
    assert len(alert_ids) - 1 >= expected, f"{len(alert_ids) - 1} of {expected} alerts"
    return alert_ids[:-1]
