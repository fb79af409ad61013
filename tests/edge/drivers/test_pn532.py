"""PN532 framing: the bytes of READERS.md, and fuzzing of decode() without I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.drivers.framing import Rejected
from edge.drivers.pn532 import (
    ACK,
    NACK,
    Pn532Frame,
    Pn532FrameKind,
    decode,
    encode_frame,
    parse_target,
)
from edge.errors import FramingError
from firmware_mocks.readers.pn532 import encode_frame as mock_encode_frame
from firmware_mocks.readers.pn532 import encode_target
from tests.fixtures.readers import FUZZ, decode_in_pieces, valid

CARD_REPLY = bytes.fromhex("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00")
NO_CARD_REPLY = bytes.fromhex("00 00 FF 03 FD D5 4B 00 E0 00")
FIRMWARE_REPLY = bytes.fromhex("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")
ERROR_FRAME = bytes.fromhex("00 00 FF 01 FF 7F 81 00")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x02", "00 00 FF 02 FE D4 02 2A 00"),
        (b"\x14\x01", "00 00 FF 03 FD D4 14 01 17 00"),
        (b"\x4a\x01\x00", "00 00 FF 04 FC D4 4A 01 00 E1 00"),
    ],
)
def test_host_commands_match_the_published_bytes(data: bytes, expected: str) -> None:
    assert encode_frame(0xD4, data) == bytes.fromhex(expected)


def test_mock_replies_match_the_published_bytes() -> None:
    assert mock_encode_frame(0xD5, encode_target(bytes.fromhex("DEADBEEF"))) == CARD_REPLY
    assert mock_encode_frame(0xD5, b"\x4b\x00") == NO_CARD_REPLY
    assert mock_encode_frame(0xD5, bytes.fromhex("03 32 01 06 07")) == FIRMWARE_REPLY


def test_decode_reads_ack_error_nack_and_data() -> None:
    frames, rest = decode(ACK + CARD_REPLY + ERROR_FRAME + NACK + b"\x00\x00\xff\x0c")
    assert [f.kind for f in frames if isinstance(f, Pn532Frame)] == [
        Pn532FrameKind.ACK,
        Pn532FrameKind.DATA,
        Pn532FrameKind.ERROR,
        Pn532FrameKind.NACK,
    ]
    assert rest == b"\x00\xff\x0c"
    data = frames[1]
    assert isinstance(data, Pn532Frame)
    assert parse_target(data.data[1:]) == "DEADBEEF"


def test_no_card_and_malformed_targets() -> None:
    assert parse_target(b"\x00") is None
    with pytest.raises(FramingError):
        parse_target(b"\x01\x01\x00\x04\x08\x05\x01\x02\x03\x04\x05")  # 5-byte UID does not exist


@pytest.mark.parametrize("flip", [3, 4, 8, 16])  # LEN, LCS, payload, DCS
def test_a_damaged_frame_is_rejected_and_the_next_one_found(flip: int) -> None:
    bad = bytearray(CARD_REPLY)
    bad[flip] ^= 0x01
    frames, _ = decode(bytes(bad) + FIRMWARE_REPLY)
    assert any(isinstance(f, Rejected) and f.checksum for f in frames)
    assert valid(frames) == valid(decode(FIRMWARE_REPLY)[0])


def test_extended_frame_round_trips() -> None:
    payload = bytes(range(256)) + b"\x01\x02"
    frames, _ = decode(encode_frame(0xD5, payload))
    assert frames == [Pn532Frame(Pn532FrameKind.DATA, 0xD5, payload)]


uids = st.sampled_from([4, 7, 10]).flatmap(lambda n: st.binary(min_size=n, max_size=n))
replies = st.one_of(
    uids.map(lambda uid: mock_encode_frame(0xD5, encode_target(uid))),
    st.binary(min_size=1, max_size=40).map(lambda pd: mock_encode_frame(0xD5, pd)),
    st.just(ACK),
    st.just(ERROR_FRAME),
)
# Garbage that contains no sync sequence cannot be mistaken for the start of a frame.
garbage = st.binary(max_size=24).filter(lambda b: b"\x00\xff" not in b and not b.endswith(b"\x00"))


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=20))
def test_random_bytes_never_crash_and_pieces_do_not_matter(data: bytes, cuts: list[int]) -> None:
    whole, rest = decode(data)
    assert valid(decode_in_pieces(decode, data, cuts)[0]) == valid(whole)
    assert data.endswith(rest)
    assert len(rest) <= 2 + 5 + 265 + 1


@FUZZ
@given(st.lists(st.tuples(garbage, replies), min_size=1, max_size=5), st.lists(st.integers(0, 400)))
def test_every_intact_frame_is_recovered_through_garbage_and_splits(
    parts: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(junk + frame for junk, frame in parts)
    expected = [decode(frame)[0][0] for _, frame in parts]
    assert valid(decode_in_pieces(decode, stream, cuts)[0]) == expected
    for cut in range(len(stream)):  # every byte boundary
        assert valid(decode_in_pieces(decode, stream, [cut])[0]) == expected


@FUZZ
@given(st.lists(replies, min_size=1, max_size=4), st.data())
def test_a_bit_flip_never_yields_a_false_frame(frames: list[bytes], data: st.DataObject) -> None:
    stream = bytearray(b"".join(frames))
    position = data.draw(st.integers(0, len(stream) - 1))
    stream[position] ^= 1 << data.draw(st.integers(0, 7))
    originals = [decode(frame)[0][0] for frame in frames]
    found = valid(decode(bytes(stream))[0])
    # ACK and NACK carry no checksum (a flip can turn one into the other, or expose an
    # ACK-shaped run inside a payload); what must never appear is a false data frame.
    assert all(f in originals for f in found if isinstance(f, Pn532Frame) and f.kind is Pn532FrameKind.DATA)
    # Frames wholly before the damaged byte are untouched by it.
    before = 0
    for frame, original in zip(frames, originals, strict=True):
        before += len(frame)
        if before > position:
            break
        assert original in found
