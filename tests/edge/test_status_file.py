"""``<data_dir>/status.json``: reader, camera, outbox and versions, written every heartbeat, broker or not."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.status_file import STATUS_FILE, LocalStatus, read_status, write_status
from edge.terminal import Terminal
from edge.uplink import UplinkSettings
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from guardpost.demo_script import GUARDS, faces_dir
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_terminal import tap_until_answered
from tests.fixtures.brokers import free_port
from tests.fixtures.waiting import wait_until


def test_the_file_round_trips_and_is_replaced_whole(tmp_path: Path) -> None:
    status = LocalStatus(
        terminal_id="T-1", at=datetime.now(UTC), running=True, software_version="1.0", uplink_connected=False,
        reader="ok", camera="failed", camera_error="HTTP 503", outbox_depth=3, outbox_bytes=1200,
    )  # fmt: skip
    path = tmp_path / STATUS_FILE
    write_status(path, status)
    write_status(path, status.model_copy(update={"outbox_depth": 4}))
    assert read_status(path).outbox_depth == 4
    assert read_status(path).schema_ == "guardpost.terminal-status/1"
    assert [p.name for p in tmp_path.iterdir()] == [STATUS_FILE]  # no temporary file left behind


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@contextmanager
def terminal(
    tmp_path: Path, reader_port: str, camera: MockCamera, face: FaceEngine
) -> Iterator[queue.Queue[CheckinResult]]:
    settings = TerminalSettings(
        terminal_id="T-STATUS",
        data_dir=tmp_path,
        reader={"type": "em4100", "port": reader_port, "debounce_s": 0.2},
        camera=SnapshotCameraConfig(url=camera.url),
        mqtt=MqttSettings(port=free_port()),  # no broker: the file is written all the same
        uplink=UplinkSettings(heartbeat_s=0.1),
        repeat_window_s=0,
    )
    results: queue.Queue[CheckinResult] = queue.Queue()
    running = Terminal(settings, on_feedback=results.put, face=face)
    running.start()
    try:
        yield results
    finally:
        running.stop()


def _status(tmp_path: Path) -> LocalStatus:
    path = tmp_path / STATUS_FILE
    wait_until(path.exists, describe=lambda: "no status file")
    return read_status(path)


def _wait_for(tmp_path: Path, condition: Callable[[LocalStatus], bool]) -> LocalStatus:
    wait_until(lambda: condition(_status(tmp_path)), describe=lambda: str(_status(tmp_path)))
    return _status(tmp_path)


def test_status_follows_reader_camera_and_outbox(tmp_path: Path, face: FaceEngine) -> None:
    card_uid = "13005D1DA5"  # an EM4100 tag: the reader reports a card again only once it has left
    with create_mock("em4100", link=str(tmp_path / "reader")) as reader, MockCamera() as camera:
        camera.show(faces_dir() / GUARDS[0].subject / "5.pgm")
        with terminal(tmp_path, reader.port, camera, face) as results:
            first = _wait_for(tmp_path, lambda s: s.reader == "ok")
            assert (first.camera, first.outbox_depth, first.uplink_connected, first.running) == (
                "unknown",
                0,
                False,
                True,
            )

            tap_until_answered(reader, card_uid, results)
            # A tap may be read more than once while tap_until_answered repeats it: at least one.
            tapped = _wait_for(tmp_path, lambda s: s.outbox_depth >= 1 and s.camera == "ok")
            assert tapped.oldest_pending_s is not None

            camera.inject("dead")
            tap_until_answered(reader, "13005D1DA6", results)  # another card; recorded without a photo
            dead = _wait_for(tmp_path, lambda s: s.camera == "failed" and s.outbox_depth >= 2)
            assert dead.camera_error is not None
            assert "503" in dead.camera_error

            reader.inject("unplug")
            _wait_for(tmp_path, lambda s: s.reader == "unavailable")
    assert _status(tmp_path).running is False
