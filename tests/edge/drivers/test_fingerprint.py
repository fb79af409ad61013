"""R30x / AS608 fingerprint modules: the packet codec against datasheet bytes and fuzzing, the driver over a pty.

The byte vectors are written out by hand from the R30x user manual's packet
format (checksums recomputed); the mock's encoder is checked against the same
bytes in tests/firmware_mocks/test_fingerprint_mock.py.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from edge.drivers import create_fingerprint_reader
from edge.drivers.fingerprint import CONFIRMATIONS, FingerprintConfig, FingerprintReader
from edge.drivers.fingerprint.codec import (
    Command,
    FpPacket,
    Pid,
    decode,
    encode,
    encode_command,
    encode_data,
    parse_index_table,
    parse_system_parameters,
)
from edge.drivers.framing import Rejected
from edge.errors import (
    BadPageError,
    CombineFailedError,
    FingerNotFoundError,
    FingerprintDisconnected,
    FingerprintPacketError,
    FingerprintTimeout,
    NoFingerError,
    NoMatchError,
    PoorImageError,
    WrongPasswordError,
)
from firmware_mocks.fingerprint import FingerprintMock, encode_packet
from guardpost.cli import main
from tests.fixtures.readers import FUZZ, decode_in_pieces, valid

GEN_IMG = bytes.fromhex("EF 01 FF FF FF FF 01 00 03 01 00 05")
IMG2TZ_1 = bytes.fromhex("EF 01 FF FF FF FF 01 00 04 02 01 00 08")
VFY_PWD_0 = bytes.fromhex("EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B")
READ_SYS_PARA = bytes.fromhex("EF 01 FF FF FF FF 01 00 03 0F 00 13")
SEARCH_1_0_300 = bytes.fromhex("EF 01 FF FF FF FF 01 00 08 04 01 00 00 01 2C 00 3B")
STORE_1_7 = bytes.fromhex("EF 01 FF FF FF FF 01 00 06 06 01 00 07 00 15")
ACK_OK = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 00 00 0A")
ACK_NO_FINGER = bytes.fromhex("EF 01 FF FF FF FF 07 00 03 02 00 0C")
TEMPLATE_NUM_1 = bytes.fromhex("EF 01 FF FF FF FF 07 00 05 00 00 01 00 0D")
# A ReadSysPara reply as a module sends it: 200 pages, level 3, 128-byte packets, 57600 baud.
SYS_PARA_REPLY = bytes.fromhex("EF 01 FF FF FF FF 07 00 13 00 0000 0000 00C8 0003 FFFFFFFF 0002 0006 04 E9")


@pytest.mark.parametrize(
    ("command", "params", "expected"),
    [
        (Command.GenImg, b"", GEN_IMG),
        (Command.Img2Tz, b"\x01", IMG2TZ_1),
        (Command.VfyPwd, bytes(4), VFY_PWD_0),
        (Command.ReadSysPara, b"", READ_SYS_PARA),
        (Command.Search, bytes.fromhex("01 0000 012C"), SEARCH_1_0_300),
        (Command.Store, bytes.fromhex("01 0007"), STORE_1_7),
    ],
)
def test_commands_match_the_datasheet_bytes(command: Command, params: bytes, expected: bytes) -> None:
    assert encode_command(command, params) == expected


def test_replies_decode_as_the_datasheet_describes() -> None:
    packets, rest = decode(ACK_OK + ACK_NO_FINGER + TEMPLATE_NUM_1 + SYS_PARA_REPLY + b"\xef")
    assert rest == b"\xef"
    assert [(p.pid, p.content[:1]) for p in packets if isinstance(p, FpPacket)] == [
        (Pid.ACK, b"\x00"),
        (Pid.ACK, b"\x02"),
        (Pid.ACK, b"\x00"),
        (Pid.ACK, b"\x00"),
    ]
    last = packets[-1]
    assert isinstance(last, FpPacket)
    params = parse_system_parameters(last.content[1:])
    assert (params.capacity, params.security_level, params.packet_size, params.baud) == (200, 3, 128, 57600)
    assert params.address == 0xFFFFFFFF


def test_every_confirmation_code_has_a_name_and_both_messages() -> None:
    named = {0x00, 0x01, 0x02, 0x03, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11}
    assert named | {0x13, 0x15, 0x18, 0x1A} <= set(CONFIRMATIONS)
    names = [c.name for c in CONFIRMATIONS.values()]
    assert len(set(names)) == len(names)
    assert all(c.zh and c.en for c in CONFIRMATIONS.values())


def test_data_packets_split_a_template_and_end_with_identifier_08() -> None:
    template = bytes(range(256)) * 2
    packets = encode_data(template, 128, address=0x12345678)
    decoded = [p for p in decode(b"".join(packets))[0] if isinstance(p, FpPacket)]
    assert [p.pid for p in decoded] == [Pid.DATA, Pid.DATA, Pid.DATA, Pid.END]
    assert b"".join(p.content for p in decoded) == template
    assert {p.address for p in decoded} == {0x12345678}
    with pytest.raises(ValueError, match="packets of 100"):
        encode_data(template, 100)


def test_index_table_bit_order() -> None:
    bitmap = bytes([0b0000_0101, 0, 0x80]) + bytes(29)
    assert parse_index_table(0, bitmap) == {0, 2, 23}
    assert parse_index_table(1, bitmap) == {256, 258, 279}


def test_a_wrong_checksum_is_rejected_and_the_next_packet_found() -> None:
    bad = ACK_NO_FINGER[:-1] + b"\x0d"
    packets, _ = decode(bad + ACK_OK)
    assert isinstance(packets[0], Rejected)
    assert packets[0].checksum
    assert valid(packets) == [FpPacket(Pid.ACK, b"\x00")]


def test_a_packet_behind_a_false_header_is_found() -> None:
    impossible = bytes.fromhex("EF 01 FF FF FF FF 55 00 03")  # identifier 55: dropped at once
    packets, rest = decode(b"\x13\x37" + impossible + ACK_OK)
    assert valid(packets) == [FpPacket(Pid.ACK, b"\x00")]
    assert rest == b""
    plausible = bytes.fromhex("EF 01 FF FF FF FF 07 00 20")  # claims 30 bytes: the real packet lies inside
    packets, rest = decode(plausible + ACK_OK)
    assert (packets, rest) == ([], plausible + ACK_OK)  # undecidable until the claimed length has arrived
    packets, rest = decode(rest + bytes(21))
    assert valid(packets) == [FpPacket(Pid.ACK, b"\x00")]
    assert isinstance(packets[0], Rejected)
    assert packets[0].checksum


def test_a_packet_cut_in_two_writes() -> None:
    first, rest = decode(TEMPLATE_NUM_1[:7])
    assert (first, rest) == ([], TEMPLATE_NUM_1[:7])
    second, rest = decode(rest + TEMPLATE_NUM_1[7:])
    assert (second, rest) == ([FpPacket(Pid.ACK, b"\x00\x00\x01")], b"")


addresses = st.sampled_from([0xFFFFFFFF, 0x00000000, 0x12345678])
packets = st.builds(
    lambda pid, content, address: encode_packet(pid, content, address),
    st.sampled_from([Pid.COMMAND, Pid.DATA, Pid.ACK, Pid.END]),
    st.binary(min_size=1, max_size=64),
    addresses,
)
# Garbage that holds no header cannot be mistaken for the start of a packet.
garbage = st.binary(max_size=24).filter(lambda b: b"\xef\x01" not in b and not b.endswith(b"\xef"))


@FUZZ
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=20))
def test_random_bytes_never_crash_and_pieces_do_not_matter(data: bytes, cuts: list[int]) -> None:
    whole, rest = decode(data)
    assert valid(decode_in_pieces(decode, data, cuts)[0]) == valid(whole)
    assert data.endswith(rest)
    assert len(rest) < 9 + 258


@FUZZ
@given(st.lists(st.tuples(garbage, packets), min_size=1, max_size=5), st.lists(st.integers(0, 500)))
def test_every_intact_packet_is_recovered_through_garbage_and_splits(
    parts: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(junk + packet for junk, packet in parts)
    expected = [decode(packet)[0][0] for _, packet in parts]
    assert valid(decode_in_pieces(decode, stream, cuts)[0]) == expected
    for cut in range(len(stream)):  # every byte boundary
        assert valid(decode_in_pieces(decode, stream, [cut])[0]) == expected


@FUZZ
@given(st.lists(packets, min_size=1, max_size=4), st.data())
def test_a_bit_flip_never_yields_a_false_packet(frames: list[bytes], data: st.DataObject) -> None:
    stream = bytearray(b"".join(frames))
    position = data.draw(st.integers(0, len(stream) - 1))
    stream[position] ^= 1 << data.draw(st.integers(0, 7))
    originals = [p for frame in frames for p in decode(frame)[0] if isinstance(p, FpPacket)]
    found = [p for p in decode(bytes(stream))[0] if isinstance(p, FpPacket)]
    # The checksum does not cover the address, so a flip there changes only the address.
    assert all((f.pid, f.content) in {(o.pid, o.content) for o in originals} for f in found)
    before = 0
    for frame, original in zip(frames, originals, strict=True):
        before += len(frame)
        if before > position:
            break
        assert original in found


@FUZZ
@given(st.sampled_from([Pid.COMMAND, Pid.DATA, Pid.ACK, Pid.END]), st.binary(min_size=1, max_size=256), addresses)
def test_driver_and_mock_encoders_agree(pid: int, content: bytes, address: int) -> None:
    assert encode(pid, content, address) == encode_packet(pid, content, address)
    assert decode(encode_packet(pid, content, address))[0] == [FpPacket(pid, content, address)]


# --- the driver against the mock, through a pty -----------------------------------


@pytest.fixture
def mock() -> Iterator[FingerprintMock]:
    with FingerprintMock() as module:
        yield module


def _reader(mock: FingerprintMock, **cfg: object) -> FingerprintReader:
    settings = {"port": mock.port, "reply_timeout_s": 0.5, "packet_gap_s": 0.2, **cfg}
    return FingerprintReader(FingerprintConfig.model_validate(settings))


@pytest.fixture
def reader(mock: FingerprintMock) -> Iterator[FingerprintReader]:
    with _reader(mock) as driver:
        yield driver


def _capture(mock: FingerprintMock, reader: FingerprintReader, finger: str, buffer: int) -> None:
    mock.place(finger)
    reader.capture(buffer)
    mock.lift()


def test_password_and_system_parameters(reader: FingerprintReader) -> None:
    reader.verify_password()
    params = reader.read_system_parameters()
    assert (params.capacity, params.packet_size, params.baud, params.address) == (300, 128, 57600, 0xFFFFFFFF)


def test_wrong_password_is_refused_by_name() -> None:
    with FingerprintMock(password=0x1234) as module:
        with _reader(module) as wrong:
            with pytest.raises(WrongPasswordError, match="口令不正确 / VfyPwd: wrong password") as refused:
                wrong.verify_password()
            assert (refused.value.code, refused.value.name) == (0x13, "wrong_password")
            with pytest.raises(WrongPasswordError) as unverified:
                wrong.template_count()
            assert unverified.value.name == "password_required"
        with _reader(module, password=0x1234) as right:
            right.verify_password()
            assert right.template_count() == 0


def test_enrol_then_search_finds_the_finger(mock: FingerprintMock, reader: FingerprintReader) -> None:
    mock.enrol("F9", 0)
    _capture(mock, reader, "F1", 1)
    _capture(mock, reader, "F1", 2)
    reader.register_model()
    reader.store(1, 5)
    assert reader.index_table() == {0, 5}
    assert reader.template_count() == 2
    _capture(mock, reader, "F1", 1)
    page, score = reader.search()
    assert page == 5
    assert score >= 200
    _capture(mock, reader, "F2", 1)
    with pytest.raises(FingerNotFoundError):
        reader.search()
    assert reader.search(buffer=2) == (5, 300)  # RegModel left the model in both buffers
    with pytest.raises(FingerNotFoundError):
        reader.search(0, 5, buffer=2)  # pages 0..4


def test_two_different_fingers_do_not_combine(mock: FingerprintMock, reader: FingerprintReader) -> None:
    _capture(mock, reader, "F1", 1)
    _capture(mock, reader, "F2", 2)
    with pytest.raises(CombineFailedError) as failed:
        reader.register_model()
    assert failed.value.code == 0x0A


def test_one_to_one_same_finger_matches_other_finger_does_not(mock: FingerprintMock, reader: FingerprintReader) -> None:
    mock.enrol("guard-7", 3)
    reader.load(2, 3)
    _capture(mock, reader, "guard-7", 1)
    assert reader.match() >= 200
    _capture(mock, reader, "guard-8", 1)
    with pytest.raises(NoMatchError, match="指纹不匹配"):
        reader.match()


@pytest.mark.parametrize("packet_size", [32, 64, 128, 256])
def test_upload_download_round_trip(packet_size: int) -> None:
    with FingerprintMock(packet_size=packet_size) as module, _reader(module) as driver:
        module.enrol("F1", 10)
        driver.load(1, 10)
        template = driver.upload(1)
        assert template == module.library()[10]
        driver.download(2, template)
        assert driver.upload(2) == template
        assert driver.match() == 300  # identical
        driver.store(2, 11)
        assert module.library()[11] == template


def test_index_table_after_store_and_delete(mock: FingerprintMock, reader: FingerprintReader) -> None:
    _capture(mock, reader, "F1", 1)
    for page in (0, 5, 255, 256, 299):
        reader.store(1, page)
    assert reader.index_table() == {0, 5, 255, 256, 299}
    reader.delete(5)
    reader.delete(255, 2)
    assert reader.index_table() == {0, 299}
    reader.empty()
    assert (reader.index_table(), reader.template_count()) == (set(), 0)


def test_no_finger_is_reported_within_the_timeout(reader: FingerprintReader) -> None:
    started = time.monotonic()
    with pytest.raises(NoFingerError, match="传感器上没有手指 / GenImg: no finger") as missing:
        reader.capture(1, timeout=0.2)
    assert 0.2 <= time.monotonic() - started < 1.0
    assert missing.value.code == 0x02


def test_poor_image_and_bad_page(mock: FingerprintMock, reader: FingerprintReader) -> None:
    mock.place("F1")
    mock.inject("poor_image")
    with pytest.raises(PoorImageError) as poor:
        reader.capture(1)
    assert poor.value.name == "too_few_features"
    reader.capture(1)
    with pytest.raises(BadPageError):
        reader.store(1, 300)


def test_a_module_that_stops_mid_transfer_raises_a_clear_error(
    mock: FingerprintMock, reader: FingerprintReader
) -> None:
    mock.enrol("F1", 0)
    reader.load(1, 0)
    mock.inject("stall")
    started = time.monotonic()
    with pytest.raises(FingerprintTimeout, match="stopped after 1 data packet.*128 bytes.*end-of-data"):
        reader.upload(1)
    assert time.monotonic() - started < 1.0
    assert len(reader.upload(1)) == 512  # the module answers again


@pytest.mark.parametrize("fault", ["noise", "garbage", "slow"])
def test_line_noise_is_skipped(mock: FingerprintMock, reader: FingerprintReader, fault: str) -> None:
    mock.enrol("F1", 4)
    mock.inject(fault)
    assert reader.template_count() == 1


@pytest.mark.parametrize("fault", ["bad_checksum", "truncated"])
def test_a_damaged_reply_raises_at_once_and_the_next_command_works(
    mock: FingerprintMock, reader: FingerprintReader, fault: str
) -> None:
    mock.inject(fault)
    started = time.monotonic()
    with pytest.raises(FingerprintPacketError, match="TemplateNum"):
        reader.template_count()
    assert time.monotonic() - started < 0.45  # before the reply timeout: the damaged packet was the reply
    assert reader.template_count() == 0


def test_silence_and_unplug(mock: FingerprintMock, reader: FingerprintReader) -> None:
    mock.inject("mute")
    with pytest.raises(FingerprintTimeout, match="no reply to TemplateNum"):
        reader.template_count()
    assert reader.template_count() == 0
    mock.inject("unplug")
    with pytest.raises(FingerprintDisconnected):
        reader.template_count()


def test_config_and_argument_checks(mock: FingerprintMock, reader: FingerprintReader) -> None:
    for bad in ({"baud": 57601}, {"baud": 9600 * 13}, {"packet_size": 100}, {"pasword": 1}):
        with pytest.raises(ValidationError):
            FingerprintConfig.model_validate({"port": "loop://", **bad})
    assert "password" not in repr(FingerprintConfig(port="loop://", password=0x1234))
    with pytest.raises(ValueError, match="buffers 1 and 2"):
        reader.capture(3)
    with pytest.raises(ValueError, match="outside"):
        reader.load(1, 70000)


def test_registry_opens_the_module_and_a_silent_line_times_out() -> None:
    cfg = FingerprintConfig(port="loop://", reply_timeout_s=0.05)  # loop:// echoes the command: never an answer
    with create_fingerprint_reader(cfg) as driver, pytest.raises(FingerprintTimeout):
        driver.template_count()


def test_mock_command_serves_a_link_and_runs_its_script(tmp_path: Path) -> None:
    link, script = tmp_path / "fingerprint", tmp_path / "fingers.txt"
    script.write_text("# a guard enrolled earlier\nenrol guard-7 3\nplace guard-7\n", encoding="utf-8")
    argv = ["mock", "fingerprint", "--link", str(link), "--script", str(script), "--packet-size", "64"]
    proc = subprocess.Popen([sys.executable, "-m", "guardpost", *argv], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        # Lines through a thread: select() on a buffered pipe misses lines already read into the buffer.
        lines: queue.Queue[str] = queue.Queue()
        stdout = proc.stdout
        threading.Thread(target=lambda: list(map(lines.put, stdout)), daemon=True).start()
        for _ in range(4):  # ready, the two script lines, serving until Ctrl-C
            last = lines.get(timeout=20)
        assert "serving until Ctrl-C" in last
        with FingerprintReader(FingerprintConfig(port=str(link))) as driver:
            assert driver.read_system_parameters().packet_size == 64
            assert driver.index_table() == {3}
            driver.capture(1)
            assert driver.search()[0] == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert not os.path.lexists(link)  # removed on exit


def test_mock_command_names_a_missing_link_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "none" / "fingerprint"
    assert main(["mock", "fingerprint", "--link", str(link)]) == 2
    assert f"folder {link.parent} of --link does not exist" in capsys.readouterr().err
