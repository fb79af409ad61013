"""Ingest end to end against a real Mosquitto, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import psycopg
import pytest
from paho.mqtt.client import MQTTMessage
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from central.alerts.models import Alert
from central.checkins.ingest import Ingest
from central.checkins.models import Checkin, DeadLetter, Violation
from central.checkins.store import record_event
from central.config import CentralSettings
from central.db.engine import make_engine
from central.registry.models import Terminal
from protocol.checkin import Card, CardKind, CheckinEvent
from protocol.messages import PoliceAlert, Receipt, TerminalStatus
from protocol.mqtt import MqttSettings
from protocol.topics import event_topic, police_alert_topic, receipt_topic, status_topic
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import (
    PG_URL,
    Collector,
    add_terminal,
    make_event,
    tiny_jpeg,
    wanted_hit,
)
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto

POLICE = police_alert_topic("110105-WJ")
StartIngest = Callable[..., Ingest]
StartCollector = Callable[[list[str]], Collector]


@pytest.fixture
def start_ingest(mosquitto: int, tmp_path: Path) -> Iterator[StartIngest]:
    started: list[Ingest] = []

    def start(
        engine: Engine, protocol: Literal["5", "3.1.1"] = "5", shared: bool = True, port: int = mosquitto
    ) -> Ingest:
        settings = CentralSettings(
            data_dir=tmp_path,
            mqtt=MqttSettings(port=port, protocol=protocol, session_expiry_s=0, reconnect_max_s=2),
            shared_subscription=shared,
            client_id=f"central-test-{uuid.uuid4().hex[:10]}",
        )
        ingest = Ingest(settings, engine)
        ingest.start()
        started.append(ingest)
        assert ingest.wait_ready(10), "ingest did not connect and subscribe"
        return ingest

    yield start
    for ingest in started:
        ingest.stop()


def receipt_for(event_id: uuid.UUID) -> Callable[[MQTTMessage], bool]:
    return lambda msg: event_id in Receipt.model_validate_json(msg.payload).event_ids


def alert_for(event_id: uuid.UUID) -> Callable[[MQTTMessage], bool]:
    return lambda msg: PoliceAlert.model_validate_json(msg.payload).alert_id == event_id


def send(collector: Collector, event: CheckinEvent) -> None:
    collector.publish(event_topic(event.terminal_id), event.to_json())


def test_event_is_stored_with_photo_and_receipted(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector, tmp_path: Path
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    client = collector([receipt_topic(terminal)])
    event = make_event(terminal)

    send(client, event)
    client.wait_for(receipt_for(event.event_id))

    with Session(engine) as session:
        row = session.get(Checkin, event.event_id)
        assert row is not None
        assert (row.site_id, row.guard_id, row.seq) == ("S2", "G1", 1)
        assert row.occurred_at == event.occurred_at
        assert row.occurred_at.tzinfo is not None
        assert session.exec(select(Violation).where(Violation.event_id == event.event_id)).all() == []
        assert row.photo_path is not None
        assert (tmp_path / row.photo_path).read_bytes() == tiny_jpeg()
        assert json.loads(row.raw_event)["photo"]["data_b64"] is None


def test_breaches_are_recorded_as_violations(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    client = collector([receipt_topic(terminal)])
    event = make_event(terminal, card_uid="04C3D4E5", verify_score=0.2)  # G3, revoked, someone else's face

    send(client, event)
    client.wait_for(receipt_for(event.event_id))

    with Session(engine) as session:
        rows = session.exec(select(Violation).where(Violation.event_id == event.event_id)).all()
    assert sorted(v.code for v in rows) == ["CERT_REVOKED", "FACE_MISMATCH"]
    assert all(v.reason_zh and v.reason_en and v.article for v in rows)


def test_duplicate_delivery_stores_once_alerts_once_receipts_twice(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    receipts = collector([receipt_topic(terminal)])
    police = collector([POLICE])
    event = make_event(terminal, card_uid="55667788", hit=wanted_hit())
    later = make_event(terminal, card_uid="55667788", seq=2, hit=wanted_hit())

    send(receipts, event)
    receipts.wait_for(receipt_for(event.event_id))
    send(receipts, event)  # the terminal missed the receipt and sends again
    receipts.wait_for(receipt_for(event.event_id), count=2)
    send(receipts, later)
    # Alerts on one topic arrive in order: once `later`'s is in, a second one for `event` would be too.
    police.wait_for(alert_for(later.event_id))
    assert len(police.wait_for(alert_for(event.event_id))) == 1

    with Session(engine) as session:
        assert len(session.exec(select(Checkin).where(Checkin.terminal_id == terminal)).all()) == 2
        assert len(session.exec(select(Alert).where(Alert.terminal_id == terminal)).all()) == 2


def test_an_id_card_tap_is_receipted_each_time_and_stored_once_sealed(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    receipts = collector([receipt_topic(terminal)])
    event = make_event(terminal).model_copy(update={"card": Card(kind=CardKind.RESIDENT_ID, uid="11010519900728002X")})

    send(receipts, event)
    receipts.wait_for(receipt_for(event.event_id))
    send(receipts, event)  # a re-delivery: receipted again, nothing added
    receipts.wait_for(receipt_for(event.event_id), count=2)

    with Session(engine) as session:
        rows = session.exec(select(Checkin).where(Checkin.terminal_id == terminal)).all()
    assert [(r.guard_id, r.card_id_number, r.card_uid) for r in rows] == [
        ("G2", "11010519900728002X", "1101**********002X")
    ]
    assert "11010519900728002X" not in rows[0].raw_event


def test_wanted_match_raises_alert_and_police_message(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    police = collector([POLICE])
    event = make_event(terminal, card_uid="55667788", hit=wanted_hit(score=0.73))

    send(police, event)
    message = PoliceAlert.model_validate_json(police.wait_for(alert_for(event.event_id))[0].payload)

    assert message.watchlist_entry_id == "W-0001"
    assert message.watchlist_name == "孙立军"
    assert (message.site_id, message.site_name, message.terminal_id) == ("S2", "星光大厦", terminal)
    assert message.score == pytest.approx(0.73)
    with Session(engine) as session:
        alert = session.get(Alert, event.event_id)
        assert alert is not None
        assert (alert.status, alert.jurisdiction) == ("new", "110105-WJ")
        assert session.exec(select(Violation).where(Violation.event_id == event.event_id)).all() == []
    # The broker's acknowledgement of the police message is remembered: nothing to send again.
    wait_until(lambda: _notified_at(engine, event.event_id) is not None, 5, lambda: "alert never marked notified")


def _notified_at(engine: Engine, alert_id: uuid.UUID) -> datetime | None:
    with Session(engine) as session:
        alert = session.get(Alert, alert_id)
        return alert.notified_at if alert else None


def test_an_alert_stored_but_never_sent_goes_to_the_police_once_and_is_marked(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector, tmp_path: Path
) -> None:
    """A worker killed between the commit and the publish: the alert is stored, the police were never told."""
    terminal = add_terminal(engine)
    event = make_event(terminal, card_uid="55667788", hit=wanted_hit(score=0.8))
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")  # stored, nothing published
    with Session(engine) as session:
        alert = session.get(Alert, event.event_id)
        assert alert is not None
        alert.created_at -= timedelta(minutes=1)
        session.add(alert)
        session.commit()
    ingest = start_ingest(engine)
    police = collector([POLICE])

    assert ingest.resend_unsent_alerts() == 1
    police.wait_for(alert_for(event.event_id))
    wait_until(lambda: _notified_at(engine, event.event_id) is not None, 5, lambda: "alert never marked notified")
    assert ingest.resend_unsent_alerts() == 0


def test_bad_messages_are_dead_lettered_and_ingest_goes_on(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal, other = add_terminal(engine), add_terminal(engine)
    start_ingest(engine)
    client = collector([receipt_topic(terminal)])
    unknown_id, foreign, good = uuid.uuid4(), make_event(other), make_event(terminal)
    topic = event_topic(terminal)

    client.publish(topic, b"{not json")
    client.publish(topic, json.dumps({"schema": "guardpost.checkin/2", "event_id": str(unknown_id)}).encode())
    client.publish(topic, foreign.to_json())  # another terminal's event on this terminal's topic
    bad_topic = f"guardpost/v1/t/T@{uuid.uuid4().hex[:8]}/event"  # no receipt topic can be built for it
    client.publish(bad_topic, good.to_json())
    send(client, good)
    client.wait_for(receipt_for(unknown_id))
    client.wait_for(receipt_for(foreign.event_id))
    client.wait_for(receipt_for(good.event_id))

    with Session(engine) as session:
        dead = session.exec(select(DeadLetter).where(DeadLetter.topic == topic).order_by(col(DeadLetter.id))).all()
        assert [d.payload[:9] for d in dead][0] == b"{not json"
        assert "not JSON" in dead[0].reason
        assert "unknown schema" in dead[1].reason
        assert dead[1].event_id == str(unknown_id)
        assert "on topic of" in dead[2].reason
        assert session.get(Checkin, foreign.event_id) is None
        invalid = session.exec(select(DeadLetter).where(DeadLetter.topic == bad_topic)).one()
        assert "invalid terminal id" in invalid.reason
        assert session.get(Checkin, good.event_id) is not None


def test_terminal_status_is_kept(engine: Engine, start_ingest: StartIngest, collector: StartCollector) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    client = collector([receipt_topic(terminal)])
    client.publish(
        status_topic(terminal),
        TerminalStatus(terminal_id=terminal, online=True, outbox_depth=7).model_dump_json(by_alias=True).encode(),
    )
    flush = make_event(terminal)  # status and events share one worker queue: its receipt comes after
    send(client, flush)
    client.wait_for(receipt_for(flush.event_id))

    with Session(engine) as session:
        row = session.get(Terminal, terminal)
        assert row is not None
        assert (row.online, row.outbox_depth) == (True, 7)
        assert row.last_seen_at is not None


def test_mqtt_311_without_shared_subscription(
    sqlite_engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(sqlite_engine)
    start_ingest(sqlite_engine, protocol="3.1.1", shared=False)
    client = collector([receipt_topic(terminal)])
    event = make_event(terminal)

    send(client, event)
    client.wait_for(receipt_for(event.event_id))

    with Session(sqlite_engine) as session:
        assert session.get(Checkin, event.event_id) is not None


def test_nothing_committed_means_no_receipt_until_resent(
    tmp_path: Path, start_ingest: StartIngest, collector: StartCollector
) -> None:
    # Only the dead-letter table exists: storing a check-in fails as in a database outage.
    engine = make_engine(f"sqlite:///{tmp_path / 'broken.sqlite3'}")
    SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables["deadletter"]])
    start_ingest(engine)
    terminal = f"T-test-{uuid.uuid4().hex[:10]}"
    client = collector([receipt_topic(terminal)])
    event, marker = make_event(terminal), uuid.uuid4()

    send(client, event)
    client.publish(event_topic(terminal), json.dumps({"schema": "x/1", "event_id": str(marker)}).encode())
    client.wait_for(receipt_for(marker))
    assert not any(receipt_for(event.event_id)(m) for m in client.seen)

    SQLModel.metadata.create_all(engine)  # the database is back
    send(client, event)  # the terminal's outbox sends again
    client.wait_for(receipt_for(event.event_id))
    with Session(engine) as session:
        assert session.get(Checkin, event.event_id) is not None
    engine.dispose()


def test_ingest_recovers_from_a_broker_restart(
    sqlite_engine: Engine, start_ingest: StartIngest, tmp_path: Path
) -> None:
    with PrivateMosquitto(tmp_path / "broker") as broker:
        port = broker.port
        ingest = start_ingest(sqlite_engine, port=port)
        broker.stop()
        wait_until(lambda: not ingest.connected, 10, lambda: "ingest did not notice the broker going away")
        broker.start()  # on the same port
        assert ingest.wait_ready(15), "ingest did not reconnect and subscribe again"

        terminal = add_terminal(sqlite_engine)
        client = Collector.connect(port, [receipt_topic(terminal)])
        event = make_event(terminal)
        send(client, event)
        client.wait_for(receipt_for(event.event_id))
        client.close()


ID_NUMBER = "110105198503120012"


def test_dead_letters_keep_no_id_number_in_clear(
    engine: Engine, start_ingest: StartIngest, collector: StartCollector
) -> None:
    terminal = add_terminal(engine)
    start_ingest(engine)
    client = collector([receipt_topic(terminal)])
    topic = event_topic(terminal)
    raw = json.loads(make_event(terminal).to_json())
    raw["card"] = {"kind": "resident_id", "uid": ID_NUMBER}
    invalid = json.dumps({**raw, "seq": "abc", "note": ID_NUMBER}).encode()  # refused: the uid quoted nowhere
    utf16 = json.dumps({**raw, "event_id": str(uuid.uuid4())}).encode("utf-16-le")  # JSON, but not UTF-8

    client.publish(topic, invalid)
    client.publish(topic, utf16)
    client.publish(topic, b"\xff\xfe\x00garbage")
    flush = make_event(terminal)
    send(client, flush)
    client.wait_for(receipt_for(flush.event_id))

    with Session(engine) as session:
        dead = session.exec(select(DeadLetter).where(DeadLetter.topic == topic).order_by(col(DeadLetter.id))).all()
    assert [d.reason.split(" ", 2)[:2] for d in dead] == [["invalid", "event:"], ["not", "UTF-8"], ["not", "UTF-8"]]
    for letter in dead:
        for encoding in ("utf-8", "utf-16-le"):
            assert ID_NUMBER.encode(encoding) not in letter.payload
        assert ID_NUMBER not in letter.reason
    assert b"1101**********0012" in dead[0].payload
    assert "1101**********0012".encode("utf-16-le") in dead[1].payload
    assert json.loads(dead[0].payload)["seq"] == "abc"  # the rest as received
    assert dead[2].payload == b"\xff\xfe\x00garbage"


def _allow_connections(engine: Engine, allowed: bool) -> None:
    """Open or close the test's database to new connections; closing also ends the open ones."""
    name = engine.url.database
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


@pytest.mark.postgres
def test_a_database_outage_is_logged_once_and_its_end_once_with_counts(
    postgres_engine: Engine, start_ingest: StartIngest, collector: StartCollector, caplog: pytest.LogCaptureFixture
) -> None:
    terminal = add_terminal(postgres_engine)
    start_ingest(postgres_engine)
    client = collector([receipt_topic(terminal)])
    events = [make_event(terminal, seq=n) for n in range(10)]
    with caplog.at_level(logging.INFO):
        _allow_connections(postgres_engine, False)
        try:
            for event in events:
                send(client, event)
            wait_until(lambda: "storage unavailable" in caplog.text, 20, lambda: "no outage logged")
            for _retry in range(3):  # the terminal sends them again, and again
                for event in events:
                    send(client, event)
                status = TerminalStatus(terminal_id=terminal, online=True, outbox_depth=len(events))
                client.publish(status_topic(terminal), status.model_dump_json(by_alias=True).encode())
        finally:
            _allow_connections(postgres_engine, True)
        for event in events:
            send(client, event)
        for event in events:
            client.wait_for(receipt_for(event.event_id), timeout=20)
    ours = [r for r in caplog.records if r.name.startswith("central.")]
    assert len([r for r in ours if "storage unavailable" in r.getMessage()]) == 1
    recovered = [r.getMessage() for r in ours if "storage available again" in r.getMessage()]
    assert len(recovered) == 1
    assert re.search(r"after \d+ s: \d+ attempts on \d+ items failed meanwhile", recovered[0])
    assert not [r.getMessage() for r in ours if r.exc_info], "tracebacks logged during the outage"
