"""PN532 and EM4100 (RDM6300 and ID-12 frames) drivers against their firmware mocks through a real pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial

from edge.drivers import create_reader, parse_reader_config
from edge.drivers.em4100 import Em4100Config, Em4100Reader
from edge.drivers.pn532 import Pn532Config, Pn532Reader
from edge.errors import ChecksumError, FramingError, ReaderDisconnected, ReaderError
from firmware_mocks.readers import ReaderMock, create_mock
from protocol.checkin import CardKind
from tests.fixtures.readers import running_mock


@pytest.fixture
def pn532() -> Iterator[ReaderMock[Any]]:
    with running_mock("pn532") as mock:
        yield mock


@pytest.fixture(params=["rdm6300", "id12"])
def em4100(request: pytest.FixtureRequest) -> Iterator[ReaderMock[Any]]:
    """Both kinds of EM4100 reader: RDM6300 frames, and ID-12/ID-20 frames with CR LF before the ETX."""
    with running_mock("em4100", variant=request.param) as mock:
        yield mock


@pytest.fixture
def pn532_reader(pn532: ReaderMock[Any]) -> Iterator[Pn532Reader]:
    with Pn532Reader(Pn532Config(port=pn532.port, debounce_s=0)) as reader:
        yield reader


@pytest.mark.parametrize("uid", ["DEADBEEF", "04A1B2C3D4E5F6", "0102030405060708090A"])
def test_pn532_reads_every_uid_length(pn532: ReaderMock[Any], uid: str) -> None:
    with create_reader(parse_reader_config({"type": "pn532", "port": pn532.port})) as reader:
        assert reader.read(0.2) is None  # polls come back "no card"
        pn532.tap(uid.lower())
        card = reader.read(2.0)
    assert card is not None
    assert (card.kind, card.uid) == (CardKind.MIFARE, uid)


def test_pn532_reads_firmware_on_start(pn532: ReaderMock[Any], pn532_reader: Pn532Reader) -> None:
    assert pn532_reader.read(0.05) is None
    assert pn532_reader.firmware == bytes.fromhex("32 01 06 07")


@pytest.mark.parametrize("fault", ["garbage", "slow", "truncated", "bad_checksum"])
def test_pn532_recovers_from_one_damaged_reply(pn532: ReaderMock[Any], pn532_reader: Pn532Reader, fault: str) -> None:
    assert pn532_reader.read(0.05) is None  # initialised
    pn532.inject(fault)
    pn532.tap("CAFEBABE")
    card = pn532_reader.read(2.0)
    assert card is not None
    assert card.uid == "CAFEBABE"


def test_pn532_gives_up_after_nacks_with_checksum_error(pn532: ReaderMock[Any], pn532_reader: Pn532Reader) -> None:
    assert pn532_reader.read(0.05) is None
    for _ in range(3):  # the reply and both of its resends
        pn532.inject("bad_checksum")
    pn532.tap("CAFEBABE")
    with pytest.raises(ChecksumError, match="checksum"):
        pn532_reader.read(2.0)
    assert pn532_reader.read(0.3) is None  # the card was consumed; no false read, reader still usable


@pytest.mark.parametrize("fault", ["no_ack", "error_frame"])
def test_pn532_reinitialises_after_no_ack_then_reports(
    pn532: ReaderMock[Any], pn532_reader: Pn532Reader, fault: str
) -> None:
    assert pn532_reader.read(0.05) is None
    pn532.inject(fault)
    with pytest.raises(ReaderError, match="re-initialised") as raised:
        pn532_reader.read(1.0)
    assert raised.value.__cause__ is not None
    pn532.tap("01020304")
    card = pn532_reader.read(2.0)
    assert card is not None
    assert card.uid == "01020304"


def test_pn532_silent_chip_is_reported_offline(pn532: ReaderMock[Any]) -> None:
    for _ in range(3):
        pn532.inject("no_ack")
    with (
        Pn532Reader(Pn532Config(port=pn532.port, ack_timeout_s=0.05)) as reader,
        pytest.raises(ReaderError, match="offline"),
    ):
        reader.read(0.5)


def test_pn532_debounces_a_card_held_on_the_antenna(pn532: ReaderMock[Any]) -> None:
    now = [100.0]
    with Pn532Reader(Pn532Config(port=pn532.port, debounce_s=1.0), clock=lambda: now[0]) as reader:
        pn532.tap("DEADBEEF")
        assert reader.read(1.0) is not None
        pn532.tap("DEADBEEF")  # the next poll sees it again
        assert reader.read(0.3) is None
        now[0] += 5
        pn532.tap("DEADBEEF")
        assert reader.read(1.0) is not None


def test_unplug_raises_reader_disconnected(pn532: ReaderMock[Any], pn532_reader: Pn532Reader) -> None:
    assert pn532_reader.read(0.05) is None
    pn532.inject("unplug")
    with pytest.raises(ReaderDisconnected) as raised:
        pn532_reader.read(1.0)
    assert isinstance(raised.value.__cause__, serial.SerialException | OSError)


def test_replug_on_the_same_link_reads_again(tmp_path: Path) -> None:
    link = str(tmp_path / "reader")
    with running_mock("em4100", link) as mock:
        reader = create_reader(Em4100Config(port=link))
        mock.inject("unplug")
        with pytest.raises(ReaderDisconnected):
            reader.read(1.0)
        reader.close()
        with pytest.raises(ReaderDisconnected):  # the link is gone while unplugged
            create_reader(Em4100Config(port=link))
        mock.inject("replug")
        with create_reader(Em4100Config(port=link)) as again:
            mock.tap("13005D1DA5")
            card = again.read(1.0)
    assert card is not None
    assert card.uid == "13005D1DA5"


def test_em4100_repeats_read_once(em4100: ReaderMock[Any]) -> None:
    with create_reader(parse_reader_config({"type": "em4100", "port": em4100.port})) as reader:
        em4100.tap("13005d1da5")
        card = reader.read(1.0)
        assert reader.read(0.4) is None  # the repeats arrive within this window and are debounced
    assert card is not None
    assert (card.kind, card.uid) == (CardKind.EM4100, "13005D1DA5")


def test_em4100_reads_again_after_the_debounce_window(em4100: ReaderMock[Any]) -> None:
    now = [0.0]
    with Em4100Reader(Em4100Config(port=em4100.port), clock=lambda: now[0]) as reader:
        em4100.tap("0102030405")
        assert reader.read(1.0) is not None
        now[0] = 10.0
        em4100.tap("0102030405")
        card = reader.read(1.0)
    assert card is not None
    assert card.uid == "0102030405"


@pytest.mark.parametrize(("fault", "error"), [("bad_checksum", ChecksumError), ("truncated", FramingError)])
def test_em4100_damaged_frame_is_reported_then_the_repeat_reads(
    em4100: ReaderMock[Any], fault: str, error: type[Exception]
) -> None:
    with create_reader(Em4100Config(port=em4100.port)) as reader:
        em4100.inject(fault)
        em4100.tap("13005D1DA5")
        with pytest.raises(error):
            reader.read(1.0)
        card = reader.read(1.0)
    assert card is not None
    assert card.uid == "13005D1DA5"


@pytest.mark.parametrize("fault", ["garbage", "slow"])
def test_em4100_garbage_and_byte_by_byte_read_the_same(em4100: ReaderMock[Any], fault: str) -> None:
    with create_reader(Em4100Config(port=em4100.port)) as reader:
        em4100.inject(fault)
        em4100.tap("13005D1DA5")
        card = reader.read(1.0)
    assert card is not None
    assert card.uid == "13005D1DA5"


def test_mock_refuses_impossible_cards(pn532: ReaderMock[Any], em4100: ReaderMock[Any]) -> None:
    with pytest.raises(ValueError, match="4, 7 or 10"):
        pn532.tap("0102030405")
    with pytest.raises(ValueError, match="5 bytes"):
        em4100.tap("DEADBEEF")
    with pytest.raises(ValueError, match="no fault"):
        em4100.inject("explode")


def test_mock_variants_are_checked() -> None:
    with pytest.raises(ValueError, match="no variant 'id20'; known: rdm6300, id12"):
        create_mock("em4100", variant="id20")
    with pytest.raises(ValueError, match="no variant 'id12'; known: none"):
        create_mock("pn532", variant="id12")
    assert create_mock("em4100").variant == "rdm6300"
