"""The firmware mocks' own parsers of host frames, checked against hand-written bytes.

The mocks must not decode with the drivers they test, or a driver's framing
bug would be mirrored by the mock and hidden; so none of them imports ``edge``.
"""

from __future__ import annotations

import ast
import time

import pytest
import serial

from firmware_mocks.readers.pn532 import HostAck, HostFrame, HostInfo, HostNack, host_frame_splitter
from firmware_mocks.readers.resident_id import DamagedCommand, HostCommand, host_command_splitter
from firmware_mocks.readers.splitter import FrameSplitter
from tests import ROOT
from tests.fixtures.readers import running_mock

MOCKS = ROOT / "firmware_mocks"

# PN532 (UM0701 section 6.2): GetFirmwareVersion, SAMConfiguration (normal mode), ACK, NACK.
GET_FIRMWARE = bytes.fromhex("00 00 FF 02 FE D4 02 2A 00")
SAM_CONFIG = bytes.fromhex("00 00 FF 03 FD D4 14 01 17 00")
PN532_ACK = bytes.fromhex("00 00 FF 00 FF 00")
PN532_NACK = bytes.fromhex("00 00 FF FF 00 00")
WAKEUP = bytes.fromhex("55 55 00 00 00 00 00 00 00 00 00 00 00 00 00 00")

# GA 467: find card, select card, read text and photo, SAM status.
FIND = bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")
SELECT = bytes.fromhex("AA AA AA 96 69 00 03 20 02 21")
READ = bytes.fromhex("AA AA AA 96 69 00 03 30 01 32")
SAM_STATUS = bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED")


def feed_in_pieces(splitter: FrameSplitter[HostFrame], data: bytes, size: int) -> list[HostFrame]:
    frames: list[HostFrame] = []
    for i in range(0, len(data), size):
        frames.extend(splitter.feed(data[i : i + size]))
    return frames


def test_pn532_normal_frames_ack_and_nack() -> None:
    splitter = host_frame_splitter()
    frames = splitter.feed(GET_FIRMWARE + SAM_CONFIG + PN532_ACK + PN532_NACK)
    assert frames == [HostInfo(0xD4, b"\x02"), HostInfo(0xD4, b"\x14\x01"), HostAck(), HostNack()]
    assert splitter.pending == b"\x00"  # the NACK's last zero may be the first byte of a start code


def test_pn532_frame_after_wakeup_and_without_preamble_or_postamble() -> None:
    splitter = host_frame_splitter()
    assert splitter.feed(WAKEUP) == []
    assert splitter.feed(GET_FIRMWARE) == [HostInfo(0xD4, b"\x02")]
    assert splitter.feed(bytes.fromhex("00 FF 02 FE D4 02 2A")) == [HostInfo(0xD4, b"\x02")]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_pn532_frames_split_across_writes(size: int) -> None:
    stream = WAKEUP + SAM_CONFIG + PN532_ACK + GET_FIRMWARE + PN532_NACK
    expected = [HostInfo(0xD4, b"\x14\x01"), HostAck(), HostInfo(0xD4, b"\x02"), HostNack()]
    assert feed_in_pieces(host_frame_splitter(), stream, size) == expected


def test_pn532_garbage_before_a_frame_is_skipped() -> None:
    garbage = bytes.fromhex("DE AD BE EF 55 7E 00 13 FF 00")
    assert host_frame_splitter().feed(garbage + GET_FIRMWARE) == [HostInfo(0xD4, b"\x02")]


def test_pn532_extended_frame() -> None:
    short = bytes.fromhex("00 00 FF FF FF 00 03 FD D4 14 01 17 00")
    pd = bytes([0x40, 0x01]) + bytes(range(256)) + bytes(6)  # 265 bytes with the TFI: the largest the chip takes
    longest = bytes.fromhex("00 00 FF FF FF 01 09 F6") + b"\xd4" + pd + bytes([-(0xD4 + sum(pd)) & 0xFF, 0])
    splitter = host_frame_splitter()
    assert splitter.feed(short + longest) == [HostInfo(0xD4, b"\x14\x01"), HostInfo(0xD4, pd)]
    too_long = bytes.fromhex("00 00 FF FF FF 01 0A F5") + b"\xd4" + bytes(265) + b"\x2c\x00"
    assert splitter.feed(too_long + GET_FIRMWARE) == [HostInfo(0xD4, b"\x02")]


@pytest.mark.parametrize(
    "damaged",
    [
        bytes.fromhex("00 00 FF 02 FE D4 02 2B 00"),  # DCS off by one
        bytes.fromhex("00 00 FF 02 FD D4 02 2A 00"),  # LCS off by one
        bytes.fromhex("00 00 FF FF FF 00 03 FC D4 14 01 17 00"),  # extended LCS off by one
        bytes.fromhex("00 00 FF 00 00 00"),  # LEN 0: not even a TFI
    ],
)
def test_pn532_damaged_frame_is_dropped_and_the_next_one_read(damaged: bytes) -> None:
    splitter = host_frame_splitter()
    assert splitter.feed(damaged) == []
    assert splitter.feed(SAM_CONFIG) == [HostInfo(0xD4, b"\x14\x01")]


def test_pn532_frame_hidden_behind_a_false_start_is_found() -> None:
    false_start = bytes.fromhex("00 FF 05 FB D4")  # claims 5 bytes, then the real frame begins
    assert host_frame_splitter().feed(false_start + SAM_CONFIG) == [HostInfo(0xD4, b"\x14\x01")]


def test_pn532_incomplete_frame_waits_for_the_rest() -> None:
    splitter = host_frame_splitter()
    assert splitter.feed(SAM_CONFIG[:7]) == []
    assert splitter.pending == SAM_CONFIG[1:7]  # from the start code on
    assert splitter.feed(SAM_CONFIG[7:]) == [HostInfo(0xD4, b"\x14\x01")]


def test_sam_commands() -> None:
    splitter = host_command_splitter()
    assert splitter.feed(FIND + SELECT + READ + SAM_STATUS) == [
        HostCommand(b"\x20\x01"),
        HostCommand(b"\x20\x02"),
        HostCommand(b"\x30\x01"),
        HostCommand(b"\x11\xff"),
    ]
    assert splitter.pending == b""


def test_sam_command_with_data() -> None:
    frame = bytes.fromhex("AA AA AA 96 69 00 05 60 02 01 02 64")
    assert host_command_splitter().feed(frame) == [HostCommand(b"\x60\x02", b"\x01\x02")]


@pytest.mark.parametrize("size", [1, 2, 4, 7])
def test_sam_commands_split_across_writes(size: int) -> None:
    splitter = host_command_splitter()
    stream = FIND + SELECT + READ
    found = [frame for i in range(0, len(stream), size) for frame in splitter.feed(stream[i : i + size])]
    assert found == [HostCommand(b"\x20\x01"), HostCommand(b"\x20\x02"), HostCommand(b"\x30\x01")]


def test_sam_garbage_and_partial_preambles_before_a_command_are_skipped() -> None:
    garbage = bytes.fromhex("DE AD AA AA 96 AA 00 13 AA AA")
    splitter = host_command_splitter()
    assert splitter.feed(garbage) == []
    assert splitter.pending == b"\xaa\xaa"
    assert splitter.feed(FIND) == [HostCommand(b"\x20\x01")]


def test_sam_bad_checksum_is_reported_and_the_next_command_read() -> None:
    bad = FIND[:-1] + b"\x23"
    assert host_command_splitter().feed(bad + SELECT) == [DamagedCommand("checksum"), HostCommand(b"\x20\x02")]


@pytest.mark.parametrize("length", ["00 00", "00 02", "10 01", "FF FF"])
def test_sam_impossible_length_is_reported_at_once(length: str) -> None:
    splitter = host_command_splitter()
    frame = bytes.fromhex(f"AA AA AA 96 69 {length}")
    assert splitter.feed(frame) == [DamagedCommand("length")]
    assert splitter.feed(READ) == [HostCommand(b"\x30\x01")]


def test_sam_command_hidden_in_a_cut_frame_is_found() -> None:
    cut = FIND[:8]  # the host stopped mid-frame; the next command's bytes fill its claimed length
    assert host_command_splitter().feed(cut + SELECT) == [DamagedCommand("checksum"), HostCommand(b"\x20\x02")]


def _exchange(port: str, writes: list[bytes], expected: bytes) -> bytes:
    """Write to a mock as a host would, piece by piece; what it sent back within a short wait."""
    with serial.Serial(port, 115200, timeout=1.0) as line:
        for piece in writes:
            line.write(piece)
            line.flush()
            time.sleep(0.01)
        reply = bytes(line.read(len(expected)))
        line.timeout = 0.2
        return reply + bytes(line.read(64))  # anything more would be an answer to the damaged frame


def test_pn532_mock_drops_a_damaged_command_and_answers_a_split_one() -> None:
    damaged = bytes.fromhex("00 00 FF 02 FE D4 02 2B 00")
    expected = PN532_ACK + bytes.fromhex("00 00 FF 02 FE D5 15 16 00")
    with running_mock("pn532") as mock:
        writes = [WAKEUP[:1], WAKEUP[1:], b"\x13\x37" + damaged, SAM_CONFIG[:4], SAM_CONFIG[4:]]
        assert _exchange(mock.port, writes, expected) == expected


def test_resident_id_mock_reports_a_bad_checksum_then_answers_find() -> None:
    bad_checksum = bytes.fromhex("AA AA AA 96 69 00 04 00 00 10 14")
    no_card = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
    with running_mock("resident_id") as mock:
        writes = [FIND[:-1] + b"\x23", b"\xde\xad" + FIND[:6], FIND[6:]]
        assert _exchange(mock.port, writes, bad_checksum + no_card) == bad_checksum + no_card


def _imported_modules(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_firmware_mocks_never_import_edge() -> None:
    sources = sorted(MOCKS.rglob("*.py"))
    assert len(sources) > 5
    offenders = [
        f"{path.relative_to(MOCKS.parent)}: {name}"
        for path in sources
        for name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if name == "edge" or name.startswith("edge.")
    ]
    assert offenders == []
