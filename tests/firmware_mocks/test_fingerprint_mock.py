"""The fingerprint module mock on its own: its packet parser and encoder, its fingers, its script.

None of it decodes with the driver: the bytes are written out by hand from
the R30x user manual (the driver is checked against the same bytes in
tests/edge/drivers/test_fingerprint.py).
"""

from __future__ import annotations

import io
import threading
from itertools import combinations

import pytest
import serial

from firmware_mocks.fingerprint import FingerprintMock, capture_template, encode_packet, finger_template, match_score
from firmware_mocks.fingerprint.cli import parse_line, run_script
from firmware_mocks.fingerprint.fingers import THRESHOLD
from firmware_mocks.fingerprint.wire import DamagedPacket, HostPacket, cut_host_packet
from firmware_mocks.readers.splitter import FrameSplitter

BROADCAST = 0xFFFFFFFF
GEN_IMG = bytes.fromhex("EF 01 FF FF FF FF 01 00 03 01 00 05")
VFY_PWD_0 = bytes.fromhex("EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B")
TEMPLATE_NUM = bytes.fromhex("EF 01 FF FF FF FF 01 00 03 1D 00 21")
ACK_OK = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 00 00 0A")
ACK_NO_FINGER = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 02 00 0C")
ACK_PACKET_ERROR = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 01 00 0B")
ACK_PASSWORD_REQUIRED = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 21 00 2B")
ACK_NO_TEMPLATES = bytes.fromhex("EF 01 FF FF FF FF 07 00 05 00 00 00 00 0C")
SYS_PARA_REPLY = bytes.fromhex("EF 01 FF FF FF FF 07 00 13 00 0000 0000 00C8 0003 FFFFFFFF 0002 0006 04 E9")


def splitter() -> FrameSplitter[HostPacket | DamagedPacket]:
    return FrameSplitter(b"\xef\x01", cut_host_packet)


def test_encoder_matches_the_datasheet_bytes() -> None:
    assert encode_packet(0x07, b"\x00") == ACK_OK
    assert encode_packet(0x07, b"\x02") == ACK_NO_FINGER
    assert encode_packet(0x01, b"\x01") == GEN_IMG
    assert encode_packet(0x07, SYS_PARA_REPLY[9:-2]) == SYS_PARA_REPLY


def test_host_packets_are_cut_from_a_stream_with_garbage_and_split_writes() -> None:
    stream = b"\xde\xad\xef" + GEN_IMG + b"\x13\xef\x01\xff\xff\xff\xff\x55\x00\x03" + VFY_PWD_0 + TEMPLATE_NUM
    expected = [
        HostPacket(0x01, BROADCAST, b"\x01"),
        HostPacket(0x01, BROADCAST, b"\x13\x00\x00\x00\x00"),
        HostPacket(0x01, BROADCAST, b"\x1d"),
    ]
    for size in (1, 2, 5, 11, len(stream)):
        cutter = splitter()
        found = [p for i in range(0, len(stream), size) for p in cutter.feed(stream[i : i + size])]
        assert found == expected, size


def test_a_damaged_host_packet_is_reported_and_the_next_one_read() -> None:
    damaged = GEN_IMG[:-1] + b"\x06"
    assert splitter().feed(damaged + TEMPLATE_NUM) == [DamagedPacket(), HostPacket(1, BROADCAST, b"\x1d")]


def test_fingers_score_like_a_module() -> None:
    fingers = [f"F{i}" for i in range(12)]
    assert finger_template("F1") == finger_template("F1")
    assert len(finger_template("F1")) == 512
    same = [match_score(capture_template(f, 1), capture_template(f, n)) for f in fingers for n in range(2, 6)]
    assert min(same) >= 200
    assert max(same) < 300  # captures differ
    other = [match_score(capture_template(a, 1), capture_template(b, 1)) for a, b in combinations(fingers, 2)]
    assert max(other) < THRESHOLD
    assert match_score(b"", b"") == match_score(None, finger_template("F1")) == 0


def _exchange(mock: FingerprintMock, writes: list[bytes], expected: bytes) -> bytes:
    """Write to the mock as a host would; what it sent back."""
    with serial.Serial(mock.port, 57600, timeout=1.0) as line:
        for piece in writes:
            line.write(piece)
            line.flush()
        reply = bytes(line.read(len(expected)))
        line.timeout = 0.1
        return reply + bytes(line.read(64))  # anything more would be an answer too many


def test_module_answers_commands_and_reports_a_damaged_one() -> None:
    with FingerprintMock() as mock:
        expected = ACK_PACKET_ERROR + ACK_NO_FINGER
        assert _exchange(mock, [GEN_IMG[:-1] + b"\x06", GEN_IMG[:5], GEN_IMG[5:]], expected) == expected


def test_module_ignores_another_address_and_asks_for_the_password() -> None:
    other = encode_packet(0x01, b"\x1d", address=0x12345678)
    with FingerprintMock(password=0x01020304) as mock:
        assert _exchange(mock, [other, TEMPLATE_NUM], ACK_PASSWORD_REQUIRED) == ACK_PASSWORD_REQUIRED
        right = encode_packet(0x01, b"\x13\x01\x02\x03\x04")
        expected = ACK_OK + ACK_NO_TEMPLATES
        assert _exchange(mock, [right, TEMPLATE_NUM], expected) == expected


def test_library_survives_a_power_cycle_and_the_password_check_does_not() -> None:
    with FingerprintMock(password=7) as mock:
        mock.enrol("F1", 3)
        right = encode_packet(0x01, b"\x13\x00\x00\x00\x07")
        assert _exchange(mock, [right], ACK_OK) == ACK_OK
        mock.inject("unplug")
        mock.inject("replug")
        assert set(mock.library()) == {3}
        assert _exchange(mock, [TEMPLATE_NUM], ACK_PASSWORD_REQUIRED) == ACK_PASSWORD_REQUIRED


def test_mock_refuses_impossible_settings_and_faults() -> None:
    with pytest.raises(ValueError, match="packet size"):
        FingerprintMock(packet_size=100)
    with FingerprintMock(capacity=10) as mock:
        with pytest.raises(ValueError, match="outside"):
            mock.enrol("F1", 10)
        with pytest.raises(ValueError, match="no fault"):
            mock.inject("melt")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("place F1", ("place", ["F1"])),
        ("  lift  # away", ("lift", [])),
        ("enrol guard-7 12", ("enrol", ["guard-7", "12"])),
        ("FAULT stall", ("fault", ["stall"])),
        ("wait 0.5", ("wait", ["0.5"])),
        ("# a comment", None),
        ("", None),
    ],
)
def test_script_lines(line: str, expected: tuple[str, list[str]] | None) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize("line", ["place", "lift F1", "enrol F1", "jump", "wait"])
def test_bad_script_lines(line: str) -> None:
    with pytest.raises(ValueError, match="expected place FINGER"):
        parse_line(line)


def test_a_script_drives_the_mock(capsys: pytest.CaptureFixture[str]) -> None:
    script = io.StringIO("enrol F1 4\nenrol F2 x\nplace F1\nfault noise\nwait 0\nlift\n")
    with FingerprintMock() as mock:
        run_script(mock, script, threading.Event())
        assert set(mock.library()) == {4}
        noisy = _exchange(mock, [GEN_IMG], ACK_NO_FINGER)  # the finger was lifted; the noise comes first
        assert noisy.endswith(ACK_NO_FINGER)
        assert len(noisy) > len(ACK_NO_FINGER)
    out, err = capsys.readouterr()
    assert "place F1" in out
    assert "bad line 'enrol F2 x'" in err
