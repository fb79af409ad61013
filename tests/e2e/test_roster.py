"""Terminals that know their guards: central enrols once, every terminal of the guard's sites gets it.

Through a private Mosquitto, central's app (ingest and the roster publisher) on
a seeded database, and whole terminals (a PN532 mock on a pty, the camera mock,
face models, outbox, uplink): the verdict at the post for the demo's revoked and
uncertified guards, also with the broker stopped; a guard enrolled centrally and
recognised at a second site's terminal seconds after being contracted there; a
tampered roster refused by the terminal and reported to central.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central.access import auth
from central.app import create_app
from central.config import RosterSettings
from central.registry.models import Terminal as TerminalRecord
from central.rosters.build import build_roster
from central.rosters.publisher import roster_message
from central.watchlist.sync import generate_keys, load_private_key
from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.terminal import Terminal
from edge.watchlist_sync import WatchlistSyncSettings
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from guardpost.demo_script import faces_dir
from protocol import topics
from protocol.checkin import Outcome
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_terminal import tap_until_answered
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import Collector, add_terminal
from tests.fixtures.delivery import TEST_UPLINK
from tests.fixtures.tenants import demo_settings, keys_for
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.mosquitto]


@dataclass
class Post:
    """A whole terminal at a site, with its reader and camera mocks and the answers it gave."""

    terminal: Terminal
    reader: object
    camera: MockCamera
    answers: queue.Queue[CheckinResult]

    def tap(self, uid: str, photo: str) -> CheckinResult:
        self.camera.show(faces_dir() / photo)
        return tap_until_answered(self.reader, uid, self.answers)

    def holds(self, guard_id: str) -> bool:
        return guard_id in self.terminal.pipeline.roster.entries


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@dataclass
class Central:
    broker: PrivateMosquitto
    admin: TestClient
    engine: Engine
    private_key: Path
    public_key: Path


@pytest.fixture
def central(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Central]:
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    private, public = tmp_path / "signing.pem", tmp_path / "signing.pub.pem"
    generate_keys(private, public)
    settings = demo_settings(
        tmp_path / "central",
        mqtt=MqttSettings(port=broker.port, reconnect_max_s=1),
        signing_key_file=private,
        roster=RosterSettings(interval_s=60),  # long: changes must arrive because they wake the publisher
    )
    app = create_app(settings, engine=sqlite_engine)
    admin = TestClient(app, headers={auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]})
    with admin:
        yield Central(broker, admin, sqlite_engine, private, public)
    broker.kill()


@pytest.fixture
def posts(central: Central, face: FaceEngine, tmp_path: Path) -> Iterator[Callable[[str], Post]]:
    """``posts(terminal_id)``: a whole terminal on the central's broker, once it holds its roster."""
    started: list[Post] = []
    with contextlib.ExitStack() as stack:

        def start(terminal_id: str) -> Post:
            reader = stack.enter_context(create_mock("pn532", link=str(tmp_path / f"{terminal_id}.reader")))
            reader.start()
            camera = stack.enter_context(MockCamera())
            answers: queue.Queue[CheckinResult] = queue.Queue()
            settings = TerminalSettings(
                terminal_id=terminal_id,
                data_dir=tmp_path / terminal_id,
                reader={"type": "pn532", "port": reader.port, "debounce_s": 0},  # the tests tap one card again at once
                camera=SnapshotCameraConfig(url=camera.url),
                mqtt=MqttSettings(port=central.broker.port, reconnect_max_s=1),
                uplink=TEST_UPLINK,
                repeat_window_s=0,
                watchlist_sync=WatchlistSyncSettings(public_key_file=central.public_key),
            )
            terminal = Terminal(settings, face=face, on_feedback=answers.put)
            terminal.start()
            stack.callback(terminal.stop)
            post = Post(terminal, reader, camera, answers)
            started.append(post)
            wait_until(lambda: post.terminal.pipeline.roster.held, 15, lambda: f"{terminal_id} got no roster")
            return post

        yield start


def enrol(admin: TestClient, guard_id: str, subject: str, shots: tuple[int, ...]) -> dict[str, Any]:
    files = [("photos", (f"{k}.pgm", (faces_dir() / subject / f"{k}.pgm").read_bytes())) for k in shots]
    response = admin.post(f"/api/guards/{guard_id}/photos", files=files)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def reported(engine: Engine, terminal_id: str) -> tuple[str | None, str | None]:
    """The roster version and staleness the terminal last reported to central."""
    with Session(engine) as session:
        row = session.get(TerminalRecord, terminal_id)
        assert row is not None
        return row.roster_version, row.roster_stale


def test_revoked_and_uncertified_guards_are_refused_at_the_post_also_offline(
    central: Central, posts: Callable[[str], Post]
) -> None:
    post = posts("T-S2-GATE")
    answers = {uid: post.tap(uid, photo) for uid, photo in [("04C3D4E5", "s3/5.pgm"), ("04E5F607", "s4/5.pgm")]}
    assert answers["04C3D4E5"].feedback.code == "CERT_REVOKED"
    assert answers["04E5F607"].feedback.code == "CERT_MISSING"
    assert all(a.feedback.outcome is Outcome.REFUSED for a in answers.values())
    assert answers["04C3D4E5"].feedback.message_zh.startswith("保安员证已被吊销，不得上岗")

    central.broker.stop()  # the network is down: the terminal answers from the roster it holds
    wait_until(lambda: not post.terminal.uplink.connected, 10, lambda: "terminal still connected")
    offline = post.tap("04C3D4E5", "s3/5.pgm")
    assert (offline.feedback.outcome, offline.feedback.code) == (Outcome.REFUSED, "CERT_REVOKED")
    assert offline.event is not None  # recorded as always, delivered when the broker is back
    assert post.tap("04E5F607", "s4/5.pgm").feedback.code == "CERT_MISSING"
    assert post.tap("DEADBEEF", "s1/5.pgm").feedback.code == "OK"  # G1's certificate is valid
    central.broker.start()


def test_a_guard_enrolled_once_is_recognised_at_a_second_site_seconds_after_being_contracted_there(
    central: Central, posts: Callable[[str], Post]
) -> None:
    # 锦绣花园 (S1) is managed by the property firm C2 and has no contract with 平安 (C1) yet
    garden = add_terminal(central.engine, site_id="S1")
    gate, second = posts("T-S2-GATE"), posts(garden)
    assert enrol(central.admin, "G1", "s1", (1, 2, 9))["templates"] == 3

    wait_until(lambda: len(gate.terminal.pipeline.roster.entries["G1"].templates) == 3, 10,
               lambda: "G1's templates did not reach the gate")  # fmt: skip
    at_gate = gate.tap("DEADBEEF", "s1/5.pgm")
    assert at_gate.feedback.code == "OK"
    assert at_gate.event is not None
    face = at_gate.event.face
    assert face.verify_score is not None  # verified against the templates central enrolled
    assert face.verify_threshold is not None
    assert face.verify_score >= face.verify_threshold
    assert second.tap("DEADBEEF", "s1/5.pgm").feedback.code == "NOT_ROSTERED"

    contracted_at = time.monotonic()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the site's day
    contract = {"company_id": "C1", "site_id": "S1", "valid_from": str(today - timedelta(days=1)),
                "valid_to": str(today + timedelta(days=365)), "contract_number": "PA-2026-S1"}  # fmt: skip
    assert central.admin.put("/api/admin/contracts", json=contract).status_code == 200
    wait_until(lambda: second.holds("G1"), 10, lambda: "G1 did not reach the second site's terminal")
    arrived_s = time.monotonic() - contracted_at
    at_second = second.tap("DEADBEEF", "s1/5.pgm")
    assert at_second.feedback.code == "OK", at_second.feedback.text
    assert at_second.event is not None
    assert at_second.event.face.verify_score is not None
    assert arrived_s < 10  # the publisher's own round is 60 s: the write woke it


def test_a_tampered_roster_is_refused_by_the_terminal_and_reported_to_central(
    central: Central, posts: Callable[[str], Post]
) -> None:
    post = posts("T-S2-GATE")
    held = post.terminal.pipeline.roster.version
    wait_until(lambda: reported(central.engine, "T-S2-GATE") == (held, None), 10, lambda: "roster not confirmed")
    with Session(central.engine) as session:
        terminal = session.get(TerminalRecord, "T-S2-GATE")
        assert terminal is not None
        _kind, genuine = roster_message(build_roster(session, terminal), load_private_key(central.private_key), None)
    lifted = genuine.replace("保安员证已被吊销".encode(), "保安员证有效有效".encode())  # 王强 let on duty
    assert lifted != genuine
    attacker = Collector.connect(central.broker.port, [])
    try:
        attacker.publish(topics.cmd_topic("T-S2-GATE"), lifted)
    finally:
        attacker.close()
    # Refused: the roster in use stays (王强 still refused); the terminal says so and central sees it ...
    wait_until(lambda: reported(central.engine, "T-S2-GATE")[1] == "refused", 10, lambda: "refusal not reported")
    assert post.terminal.pipeline.roster.version == held
    assert post.tap("04C3D4E5", "s3/5.pgm").feedback.code == "CERT_REVOKED"
    # ... and answers with the genuine roster, which the terminal accepts.
    wait_until(lambda: reported(central.engine, "T-S2-GATE")[1] is None, 15, lambda: "terminal did not recover")
