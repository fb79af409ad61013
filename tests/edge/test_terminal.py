"""A whole terminal (reader loop, camera, face, outbox) surviving a reader unplug and replug."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import pytest

from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.enrolment import Enrolment, enroll_images
from edge.terminal import Terminal
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from guardpost.demo_script import GUARDS, faces_dir
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings
from tests.fixtures.brokers import free_port


def test_reader_unplug_is_logged_once_and_taps_after_replug_are_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guard = GUARDS[0]
    card_uid = "13005D1DA5"  # an EM4100 tag
    engine = FaceEngine(FaceSettings())
    enrolment = Enrolment()
    enrolment.add(card_uid, guard.guard_id, guard.name, enroll_images(engine, guard.enrolment_photos()))
    enrolment.save(tmp_path / "enrolment.json")
    results: queue.Queue[CheckinResult] = queue.Queue()
    with create_mock("em4100", link=str(tmp_path / "reader")) as reader, MockCamera() as camera:
        camera.show(faces_dir() / guard.subject / "5.pgm")
        settings = TerminalSettings(
            terminal_id="T-UNPLUG",
            data_dir=tmp_path,
            reader={"type": "em4100", "port": reader.port, "debounce_s": 0.2},
            camera=SnapshotCameraConfig(url=camera.url),
            mqtt=MqttSettings(port=free_port()),  # no broker: events wait in the outbox
            repeat_window_s=0,
        )
        terminal = Terminal(settings, on_feedback=results.put, face=engine)
        terminal.start()
        try:
            tap_until_answered(reader, card_uid, results)
            with caplog.at_level(logging.WARNING, logger="edge.terminal"):
                reader.inject("unplug")
                # An outage long enough for several reconnect attempts (backoff 0.5 s, 1 s, ...).
                threading.Event().wait(2.5)
                assert results.empty()
                reader.inject("replug")
                tap_until_answered(reader, card_uid, results)
            outage_lines = [r for r in caplog.records if "读卡器" in r.getMessage()]
            # One warning for the whole outage, not one per reconnect attempt.
            assert [r.levelno for r in outage_lines] == [logging.WARNING], [r.getMessage() for r in outage_lines]
            assert terminal.outbox.stats().depth == 2
        finally:
            terminal.stop()


def tap_until_answered(reader: object, uid: str, results: queue.Queue[CheckinResult]) -> CheckinResult:
    # A push reader loses bytes sent before the driver (re)opens the port, as a real one does.
    for _ in range(40):
        reader.tap(uid)  # type: ignore[attr-defined]
        try:
            result = results.get(timeout=0.25)
        except queue.Empty:
            continue
        assert result.event is not None
        return result
    raise AssertionError("no check-in after 40 taps")
