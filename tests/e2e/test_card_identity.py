"""One card, any reader: a card registered by the number printed on it is found by a tap on every family.

Through a whole terminal (reader on a pty served by its firmware mock, camera,
face, outbox) and central's write path: the EM4100 fob and the MIFARE card of
docs/cards.md, registered by their printed decimals, tapped on an RDM6300-type
reader, on Wiegand-26 and Wiegand-34 bridges, and on a PN532.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.checkins.models import Checkin
from central.checkins.store import record_event
from central.registry.cards import issue_to
from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.terminal import Terminal
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from guardpost.demo_script import faces_dir
from protocol.cards import CardTech
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings
from tests.edge.test_terminal import tap_until_answered
from tests.fixtures.brokers import free_port

FOB_PRINTED, FOB_HEX = "0003887558", "67003B51C6"  # an EM4100 fob: the decimal on it, the 5 bytes it sends
MIFARE_PRINTED, MIFARE_UID = "0625837744", "B0864D25"  # a MIFARE card: its byte-reversed UID as printed

# (reader family, its settings, the mock's tap: the uid as this family sees the card, extra tap fields)
READERS: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = [
    ("em4100", {"type": "em4100"}, FOB_HEX, {}),
    ("wiegand", {"type": "wiegand", "bits": 26}, FOB_HEX[-6:], {}),
    ("wiegand", {"type": "wiegand", "bits": 34}, FOB_HEX[-8:], {"bits": 34}),
    ("pn532", {"type": "pn532"}, MIFARE_UID, {}),
]


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@pytest.fixture
def registered(sqlite_engine: Engine) -> Engine:
    """The fob issued to 王强 (G3) and the MIFARE card to 刘洋 (G4), each by its printed number."""
    with Session(sqlite_engine) as session:
        fob = issue_to(session, FOB_PRINTED, CardTech.EM4100, "G3")
        card = issue_to(session, MIFARE_PRINTED, CardTech.ISO14443A, "G4")
        assert (fob.understood.form, fob.card.uid) == ("decimal", "em4100:003B51C6")
        assert (card.understood.form, card.card.uid) == ("reversed_decimal", "iso14443a:B0864D25")
        session.commit()
    return sqlite_engine


@pytest.mark.parametrize(
    ("kind", "reader", "tapped", "fields"), READERS, ids=["rdm6300", "wiegand26", "wiegand34", "pn532"]
)
def test_a_card_registered_by_its_printed_number_is_found_on_every_reader(
    registered: Engine, face: FaceEngine, tmp_path: Path, kind: str, reader: dict[str, Any], tapped: str,
    fields: dict[str, Any],
) -> None:  # fmt: skip
    results: queue.Queue[CheckinResult] = queue.Queue()
    with create_mock(kind, link=str(tmp_path / "reader")) as mock, MockCamera() as camera:
        camera.show(faces_dir() / "s1" / "1.pgm")
        settings = TerminalSettings(
            terminal_id="T-S2-GATE",
            data_dir=tmp_path,
            reader=reader | {"port": mock.port},
            camera=SnapshotCameraConfig(url=camera.url),
            mqtt=MqttSettings(port=free_port()),  # no broker: the event is taken from the terminal's answer
            repeat_window_s=0,
        )
        terminal = Terminal(settings, face=face, on_feedback=results.put)
        terminal.start()
        try:
            result = tap_until_answered(_Tapper(mock, fields), tapped, results)
        finally:
            terminal.stop()
    assert result.event is not None
    record_event(registered, result.event, data_dir=tmp_path, default_jurisdiction="unassigned")
    with Session(registered) as session:
        stored = session.get(Checkin, result.event.event_id)
    assert stored is not None
    assert stored.guard_id == ("G4" if kind == "pn532" else "G3")


class _Tapper:
    """The mock's ``tap`` with this family's extra fields (a Wiegand-34 frame)."""

    def __init__(self, mock: Any, fields: dict[str, Any]) -> None:
        self._mock, self._fields = mock, fields

    def tap(self, uid: str) -> None:
        self._mock.tap(uid, **self._fields)
