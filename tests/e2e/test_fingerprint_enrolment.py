"""A finger enrolled once at a station reaches the guard's terminal and is matched there: end to end.

The enrolment station is a fingerprint module mock on a pty driven by the real
driver (press, lift, press again, RegModel, UpChar); the template goes to
central's HTTP API (a real uvicorn server) as the employer; central seals it and
sends it with the signed roster through a private Mosquitto to a whole terminal
at the demo gate, whose own module mock matches the guard's finger 1:1 at a tap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from sqlalchemy import Engine

from central.app import create_app
from central.config import RosterSettings
from central.watchlist.sync import generate_keys
from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.drivers.fingerprint import FingerprintConfig, FingerprintReader
from edge.fingerprint_enrol import EnrolmentRefused, capture_finger, send_to_central
from edge.terminal import Terminal
from edge.watchlist_sync import WatchlistSyncSettings
from firmware_mocks.camera import MockCamera
from firmware_mocks.fingerprint import FingerprintMock
from firmware_mocks.readers import create_mock
from guardpost.cli import main
from protocol.checkin import FingerprintStatus
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_terminal import tap_until_answered
from tests.fixtures.brokers import PrivateMosquitto, free_port
from tests.fixtures.delivery import TEST_UPLINK
from tests.fixtures.tenants import demo_settings, keys_for
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.mosquitto]
FINGER = "zhang-wei-right-index"


@pytest.fixture
def central(sqlite_engine: Engine, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """Central on a real HTTP port and a private broker; (its URL, the broker's port, the public key)."""
    with PrivateMosquitto(tmp_path / "broker") as broker:
        private, public = tmp_path / "signing.pem", tmp_path / "signing.pub.pem"
        generate_keys(private, public)
        settings = demo_settings(
            tmp_path / "central", mqtt=MqttSettings(port=broker.port, reconnect_max_s=1),
            signing_key_file=private, roster=RosterSettings(interval_s=60),
        )  # fmt: skip
        port = free_port()
        app = create_app(settings, engine=sqlite_engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_until(lambda: server.started or not thread.is_alive(), 20, lambda: "central did not start")
        assert server.started
        yield f"http://127.0.0.1:{port}", broker.port, public
        server.should_exit = True
        thread.join(timeout=10)


def enrol_at_station(station: FingerprintMock, central_url: str, api_key: str, guard_id: str) -> dict[str, object]:
    """The guided steps with a finger that follows the prompts, as a guard at the station would."""
    moves: dict[str, Callable[[], None]] = {
        "请按手指": lambda: station.place(FINGER),
        "请抬起手指": station.lift,
        "请再按同一手指": lambda: station.place(FINGER),
    }
    prompts: list[str] = []

    def prompt(zh: str, en: str) -> None:
        prompts.append(zh)
        moves[zh]()

    with FingerprintReader(FingerprintConfig(port=station.port, reply_timeout_s=1.0)) as driver:
        template = capture_finger(driver, prompt, wait_s=5)
    assert prompts == ["请按手指", "请抬起手指", "请再按同一手指"]
    return send_to_central(central_url, api_key, guard_id, 1, template)


def test_a_finger_enrolled_at_a_station_is_matched_at_the_guards_terminal(
    central: tuple[str, int, Path], sqlite_engine: Engine, tmp_path: Path
) -> None:
    url, broker_port, public_key = central
    employer_key = keys_for(sqlite_engine)["pingan"]  # 张伟's employer enrols him
    with FingerprintMock() as station:
        answer = enrol_at_station(station, url, employer_key, "G1")
    assert answer["fingers"] == 1
    # another tenant's guard does not exist for them
    with pytest.raises(EnrolmentRefused, match="404"), FingerprintMock() as station:
        enrol_at_station(station, url, keys_for(sqlite_engine)["jinxiu"], "G1")

    answers: queue.Queue[CheckinResult] = queue.Queue()
    with (
        create_mock("pn532", link=str(tmp_path / "reader")) as reader,
        MockCamera() as camera,
        FingerprintMock() as module,
    ):
        reader.start()
        settings = TerminalSettings(
            terminal_id="T-S2-GATE", data_dir=tmp_path / "terminal",
            reader={"type": "pn532", "port": reader.port, "debounce_s": 0},
            camera=SnapshotCameraConfig(url=camera.url), mqtt=MqttSettings(port=broker_port, reconnect_max_s=1),
            uplink=TEST_UPLINK, repeat_window_s=0, watchlist_sync=WatchlistSyncSettings(public_key_file=public_key),
            fingerprint=FingerprintConfig(port=module.port), finger_wait_s=3,
        )  # fmt: skip
        terminal = Terminal(settings, face=FaceEngine(FaceSettings()), on_feedback=answers.put)
        terminal.start()
        try:
            pipeline = terminal.pipeline
            wait_until(lambda: pipeline.roster.held and bool(pipeline.roster.entries["G1"].fingerprints), 15,
                       lambda: "G1's fingerprint did not reach the terminal")  # fmt: skip
            camera.show(np.full((480, 640, 3), 90, dtype=np.uint8))  # a hard hat: no face (the site: card + either)
            module.place(FINGER)
            by_finger = tap_until_answered(reader, "DEADBEEF", answers)
            module.place("someone-elses-thumb")
            impostor = tap_until_answered(reader, "DEADBEEF", answers)
        finally:
            terminal.stop()
    assert by_finger.event is not None
    assert by_finger.event.fingerprint is not None
    assert by_finger.event.fingerprint.status is FingerprintStatus.MATCHED
    assert by_finger.feedback.code == "OK"
    assert impostor.feedback.code == "FINGERPRINT_MISMATCH"


def test_the_command_needs_an_api_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GUARDPOST_API_KEY", raising=False)
    argv = ["fingerprint", "enrol", "--port", "/dev/null", "--guard", "G1", "--central", "http://127.0.0.1:9"]
    assert main(argv) == 2
    assert "GUARDPOST_API_KEY" in capsys.readouterr().err
