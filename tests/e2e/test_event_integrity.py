"""Times and copies central can trust: CLOCK_SKEW from a wrong terminal clock, conflicting copies dead-lettered.

Through a private Mosquitto and central's real ingest: events as a terminal
sends them (with the time each waited in its outbox) are published on the
terminal's topic, and what central stored, flagged, dead-lettered and
receipted is read back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from paho.mqtt.client import MQTTMessage
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.checkins.models import Checkin, DeadLetter, Violation
from protocol.checkin import CheckinEvent, with_outbox_age
from protocol.messages import Receipt
from protocol.topics import event_topic, receipt_topic
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import Collector, add_terminal, make_event
from tests.fixtures.delivery import CentralUnderTest

pytestmark = pytest.mark.mosquitto


@dataclass
class Line:
    """A terminal's topic on central's broker: ``send`` an event, wait for its receipt."""

    engine: Engine
    terminal_id: str
    client: Collector
    photos: Path

    def send(self, event: CheckinEvent, outbox_age_s: float | None = 0.2) -> None:
        payload = event.to_json() if outbox_age_s is None else with_outbox_age(event.to_json(), outbox_age_s)
        self.client.publish(event_topic(self.terminal_id), payload)

    def receipted(self, event_id: uuid.UUID, times: int = 1) -> None:
        def has(m: MQTTMessage) -> bool:
            return event_id in Receipt.model_validate_json(m.payload).event_ids

        self.client.wait_for(has, count=times, timeout=15)

    def codes(self, event_id: uuid.UUID) -> dict[str, str]:
        with Session(self.engine) as session:
            rows = session.exec(select(Violation).where(Violation.event_id == event_id)).all()
            return {v.code: v.reason_zh for v in rows}


@pytest.fixture
def line(engine: Engine, tmp_path: Path) -> Iterator[Line]:
    with PrivateMosquitto(tmp_path / "broker") as broker:
        central = CentralUnderTest(engine, broker.port, tmp_path / "central")
        central.start()
        terminal_id = add_terminal(engine)
        client = Collector.connect(broker.port, [receipt_topic(terminal_id)])
        try:
            yield Line(engine, terminal_id, client, tmp_path / "central" / "photos")
        finally:
            client.close()
            central.stop()


def now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize(
    ("occurred", "waited_s", "skewed", "words"),
    [
        (timedelta(days=3653), 0.2, True, "时钟快约 3653 天"),  # ten years ahead
        (datetime(1990, 5, 1, 8, tzinfo=UTC), 0.2, True, "时钟慢约"),
        (datetime(1990, 5, 1, 8, tzinfo=UTC), None, True, "时钟慢约"),  # an older terminal: no outbox age, still absurd
        (timedelta(hours=-2), 0.2, True, "时钟慢约 2.0 小时"),  # sent at once, yet two hours old: the clock is behind
        (timedelta(hours=-2), 7200, False, ""),  # two hours in the outbox (the broker was down): the time is right
        (timedelta(seconds=-30), 0.2, False, ""),
    ],
    ids=["ten-years-ahead", "1990", "1990-no-outbox-age", "two-hours-behind", "waited-two-hours", "in-order"],
)
def test_a_time_the_terminal_clock_cannot_vouch_for_is_flagged_clock_skew(
    line: Line, occurred: timedelta | datetime, waited_s: float | None, skewed: bool, words: str
) -> None:
    at = occurred if isinstance(occurred, datetime) else now() + occurred
    event = make_event(line.terminal_id, occurred_at=at)
    line.send(event, waited_s)
    line.receipted(event.event_id)
    codes = line.codes(event.event_id)
    assert ("CLOCK_SKEW" in codes) is skewed
    if skewed:
        assert line.terminal_id in codes["CLOCK_SKEW"]  # the terminal is named
        assert words in codes["CLOCK_SKEW"]


def test_a_copy_with_other_content_is_dead_lettered_and_writes_no_photo(line: Line) -> None:
    event = make_event(line.terminal_id, occurred_at=now())
    line.send(event)
    line.receipted(event.event_id)
    photos_before = sorted(p for p in line.photos.rglob("*") if p.is_file())
    line.send(event, outbox_age_s=9.5)  # the same event sent again later: a duplicate, nothing to say
    line.receipted(event.event_id, times=2)
    forged = event.model_copy(update={"card": event.card.model_copy(update={"uid": "04A1B2C3"}),
                                      "occurred_at": event.occurred_at - timedelta(hours=3)})  # fmt: skip
    line.send(forged)
    line.receipted(event.event_id, times=3)  # receipted: it is kept as a dead letter, not re-sent for ever

    with Session(line.engine) as session:
        letters = session.exec(select(DeadLetter).where(DeadLetter.event_id == str(event.event_id))).all()
        stored = session.get(Checkin, event.event_id)
        count = len(session.exec(select(Checkin).where(col(Checkin.terminal_id) == line.terminal_id)).all())
    assert len(letters) == 1
    assert event.content_hash() in letters[0].reason
    assert forged.content_hash() in letters[0].reason
    assert stored is not None
    assert (stored.card_uid, count) == ("DEADBEEF", 1)  # the first copy stands
    assert sorted(p for p in line.photos.rglob("*") if p.is_file()) == photos_before  # no second photo file
