"""ASCII-line, Wiegand and resident ID drivers against their firmware mocks through a real pty."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edge.drivers import create_reader, parse_reader_config
from edge.drivers.base import CardReader
from edge.drivers.resident_id import ResidentIdConfig, ResidentIdReader
from edge.errors import ChecksumError, FramingError, ReaderDisconnected, ReaderError
from firmware_mocks.readers import ReaderMock, create_mock
from firmware_mocks.readers.lines import WiegandMock
from firmware_mocks.readers.resident_id import photo_for
from protocol.checkin import CardKind
from tests.fixtures.readers import running_mock


def _reader(mock: ReaderMock[Any], **cfg: object) -> CardReader:
    return create_reader(parse_reader_config({"type": mock.kind, "port": mock.port, **cfg}))


@pytest.fixture
def ascii_mock() -> Iterator[ReaderMock[Any]]:
    with running_mock("ascii") as mock:
        yield mock


@pytest.fixture
def sam() -> Iterator[ReaderMock[Any]]:
    with running_mock("resident_id") as mock:
        yield mock


@pytest.fixture
def sam_reader(sam: ReaderMock[Any]) -> Iterator[ResidentIdReader]:
    with ResidentIdReader(ResidentIdConfig(port=sam.port, poll_interval_s=0.01, debounce_s=0)) as reader:
        yield reader


@pytest.mark.parametrize("style", ["crlf", "cr", "lf", "parallax"])
def test_ascii_line_endings_and_lowercase(ascii_mock: ReaderMock[Any], style: str) -> None:
    with _reader(ascii_mock) as reader:
        ascii_mock.tap("04a1b2c3d4", style=style, lowercase=True)
        card = reader.read(1.0)
    assert card is not None
    assert (card.kind, card.uid) == (CardKind.ASCII, "04A1B2C3D4")


def test_ascii_long_line_is_reported_and_reading_goes_on(ascii_mock: ReaderMock[Any]) -> None:
    with _reader(ascii_mock) as reader:
        ascii_mock.inject("long_line")
        with pytest.raises(FramingError, match="longer than 64"):
            reader.read(1.0)
        assert reader.read(0.5) is None  # the tail of the line is skipped, not read as a card
        ascii_mock.tap("CAFE")
        card = reader.read(1.0)
    assert card is not None
    assert card.uid == "CAFE"


@pytest.mark.parametrize("fault", ["slow", "garbage"])
def test_ascii_slow_and_garbage(ascii_mock: ReaderMock[Any], fault: str) -> None:
    with _reader(ascii_mock) as reader:
        ascii_mock.inject(fault)
        if fault == "garbage":
            with pytest.raises(FramingError, match="pattern"):
                reader.read(1.0)
        ascii_mock.tap("DEADBEEF")
        card = reader.read(1.0)
    assert card is not None
    assert card.uid == "DEADBEEF"


def test_ascii_truncated_line_is_reported(ascii_mock: ReaderMock[Any]) -> None:
    with _reader(ascii_mock) as reader:
        ascii_mock.inject("truncated")
        ascii_mock.tap("DEADBEEF")
        with pytest.raises(FramingError, match="cut short"):
            reader.read(1.0)


@pytest.mark.parametrize(("bits", "line_format"), [(26, "bits"), (34, "bits"), (26, "hex"), (34, "hex")])
def test_wiegand_round_trip(bits: int, line_format: str) -> None:
    mock = WiegandMock(bits=bits, line_format=line_format)  # type: ignore[arg-type]
    with mock, _reader(mock, bits=bits, line_format=line_format) as reader:
        mock.tap("90:324")
        card = reader.read(1.0)
        mock.inject("bad_checksum")
        mock.tap("", facility=1, card=2)
        with pytest.raises(ChecksumError, match="parity"):
            reader.read(1.0)
    assert card is not None
    assert card.kind is (CardKind.WIEGAND26 if bits == 26 else CardKind.WIEGAND34)
    assert dict(card.details) == {"facility": "90", "card": "324"}
    assert card.uid == ("5A0144" if bits == 26 else "005A0144")


def test_wiegand_wrong_bit_count_is_rejected() -> None:
    with running_mock("wiegand") as mock, _reader(mock, bits=34) as reader:
        mock.tap("90:324")  # a 26-bit frame
        with pytest.raises(FramingError, match="26 bits, expected 34"):
            reader.read(1.0)


def test_resident_id_reads_text_fields(sam: ReaderMock[Any], sam_reader: ResidentIdReader) -> None:
    assert sam_reader.read(0.1) is None
    sam.tap("11010119900307123x", name="王小明", sex="1", address="上海市浦东新区世纪大道100号")
    card = sam_reader.read(2.0)
    assert card is not None
    assert (card.kind, card.uid) == (CardKind.RESIDENT_ID, "11010119900307123X")
    assert card.id_card is not None
    assert (card.id_card.name, card.id_card.address) == ("王小明", "上海市浦东新区世纪大道100号")
    assert card.wlt_photo == photo_for(card.id_card)  # kept raw: decoding WLT needs the vendor's library


def test_resident_id_reader_sending_a_lowercase_x() -> None:
    with (
        running_mock("resident_id", variant="lowercase-x") as sam,
        ResidentIdReader(ResidentIdConfig(port=sam.port, poll_interval_s=0.01, debounce_s=0)) as reader,
    ):
        sam.tap("11010519491231002X", name="李娜")
        card = reader.read(2.0)
    assert card is not None
    assert card.id_card is not None
    assert (card.uid, card.id_card.id_number, card.id_card.name) == ("11010519491231002X", "11010519491231002X", "李娜")


@pytest.mark.parametrize("fault", ["select_failed", "read_failed", "bad_checksum", "truncated", "garbage", "slow"])
def test_resident_id_one_failure_is_retried(sam: ReaderMock[Any], sam_reader: ResidentIdReader, fault: str) -> None:
    sam.tap("110101199003071234")
    sam.inject(fault)
    card = sam_reader.read(3.0)
    assert card is not None
    assert card.uid == "110101199003071234"


@pytest.mark.parametrize(
    ("fault", "step", "error"),
    [("select_failed", "select", ReaderError), ("read_failed", "read", ReaderError)],
)
def test_resident_id_persistent_failure_names_the_step(
    sam: ReaderMock[Any], sam_reader: ResidentIdReader, fault: str, step: str, error: type[Exception]
) -> None:
    sam.tap("110101199003071234")
    for _ in range(3):  # the sequence and its two retries
        sam.inject(fault)
    with pytest.raises(error, match=f"ID card {step}"):
        sam_reader.read(3.0)


def test_resident_id_bad_checksums_raise_checksum_error(sam: ReaderMock[Any], sam_reader: ResidentIdReader) -> None:
    sam.tap("110101199003071234")
    for _ in range(3):
        sam.inject("bad_checksum")
    with pytest.raises(ChecksumError, match="ID card find"):
        sam_reader.read(3.0)


def test_resident_id_unplug(sam: ReaderMock[Any], sam_reader: ResidentIdReader) -> None:
    assert sam_reader.read(0.05) is None
    sam.inject("unplug")
    with pytest.raises(ReaderDisconnected):
        sam_reader.read(1.0)


@pytest.mark.parametrize("kind", ["ascii", "wiegand", "resident_id"])
def test_unplug_mid_read_raises_reader_disconnected(kind: str) -> None:
    with create_mock(kind) as mock, _reader(mock) as reader:
        mock.inject("unplug")
        with pytest.raises(ReaderDisconnected) as raised:
            reader.read(1.0)
    assert raised.value.__cause__ is not None
