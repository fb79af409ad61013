"""Resident ID (SAM) framing and text decoding without I/O, with fuzzing of decode()."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.drivers.framing import Rejected
from edge.drivers.resident_id import SamFrame, decode, encode_frame, parse_read_reply
from edge.errors import FramingError
from firmware_mocks.readers.resident_id import encode_read_reply, encode_response, encode_text, make_fields
from tests.fixtures.readers import FUZZ, decode_in_pieces, valid

FIND_OK = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
FIND_FAILED = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")


def test_published_frames() -> None:
    assert encode_frame(b"\x20\x01") == bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")
    assert encode_frame(b"\x11\xff") == bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED")
    assert encode_response(0x9F, bytes(4)) == FIND_OK
    assert encode_response(0x80) == FIND_FAILED
    assert decode(FIND_OK + FIND_FAILED) == ([SamFrame(b"\x00\x00\x9f" + bytes(4)), SamFrame(b"\x00\x00\x80")], b"")


def test_read_reply_round_trips_the_text_fields() -> None:
    card = make_fields("11010119900307123X", name="李小龙", address="广东省佛山市顺德区", sex="2")
    reply = encode_read_reply(card)
    assert len(reply) == 1295
    assert reply[5:7] == b"\x05\x08"
    frames, _ = decode(reply)
    frame = frames[0]
    assert isinstance(frame, SamFrame)
    fields, photo = parse_read_reply(frame.body[3:])
    assert fields == card
    assert fields.birth_date == date(1990, 3, 7)
    assert len(photo) == 1024


@pytest.mark.parametrize("flip", [5, 6, 9, 12, 14])  # Len, SW3, data, CHK
def test_bad_len_or_chk_is_rejected_and_the_next_frame_found(flip: int) -> None:
    bad = bytearray(FIND_OK)
    bad[flip] ^= 0x01
    frames, _ = decode(bytes(bad) + FIND_FAILED + b"\x00" * 300)
    assert any(isinstance(f, Rejected) for f in frames)
    assert valid(frames) == [SamFrame(b"\x00\x00\x80")]


def test_malformed_text_is_a_framing_error() -> None:
    text = bytearray(encode_text(make_fields("110101199003071234")))
    text[122:124] = "Z".encode("utf-16-le")  # first character of the ID number
    data = (256).to_bytes(2, "big") + (0).to_bytes(2, "big") + bytes(text)
    with pytest.raises(FramingError, match="number"):
        parse_read_reply(data)
    with pytest.raises(FramingError, match="does not hold"):
        parse_read_reply(data[:-1])


def _text_data(text: bytes) -> bytes:
    return (256).to_bytes(2, "big") + (0).to_bytes(2, "big") + text


def test_a_lowercase_x_is_read_as_x() -> None:
    card = make_fields("11010119900307123X", name="王小明")
    text = encode_text(card, lowercase_x=True)
    assert "123x".encode("utf-16-le") in text  # as many readers send it
    fields, _ = parse_read_reply(_text_data(text))
    assert fields == card
    assert fields.id_number == "11010119900307123X"


@pytest.mark.parametrize("number", ["1101011990030712３4", "11010119900307123Y", "1101011990030712x4"])
def test_other_characters_in_the_id_number_are_refused(number: str) -> None:
    text = bytearray(encode_text(make_fields("110101199003071234")))
    text[122:158] = number.encode("utf-16-le")
    with pytest.raises(FramingError, match="number"):
        parse_read_reply(_text_data(bytes(text)))


bodies = st.binary(min_size=3, max_size=60)
garbage = st.binary(max_size=20).filter(lambda b: b"\xaa" not in b)


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=20))
def test_random_bytes_never_crash_and_pieces_do_not_matter(data: bytes, cuts: list[int]) -> None:
    whole, rest = decode(data)
    assert valid(decode_in_pieces(decode, data, cuts)[0]) == valid(whole)
    assert data.endswith(rest)


@FUZZ
@given(st.lists(st.tuples(garbage, bodies), min_size=1, max_size=5), st.lists(st.integers(0, 400)))
def test_every_intact_frame_is_recovered(parts: list[tuple[bytes, bytes]], cuts: list[int]) -> None:
    stream = b"".join(junk + encode_frame(body) for junk, body in parts)
    expected = [SamFrame(body) for _, body in parts]
    assert valid(decode_in_pieces(decode, stream, cuts)[0]) == expected
    for cut in range(0, len(stream), 3):
        assert valid(decode_in_pieces(decode, stream, [cut])[0]) == expected


@FUZZ
@given(st.lists(bodies, min_size=1, max_size=3), st.data())
def test_a_bit_flip_never_yields_a_false_frame(frames: list[bytes], data: st.DataObject) -> None:
    stream = bytearray(b"".join(encode_frame(body) for body in frames))
    position = data.draw(st.integers(0, len(stream) - 1))
    stream[position] ^= 1 << data.draw(st.integers(0, 7))
    found = valid(decode(bytes(stream))[0])
    assert all(f in [SamFrame(body) for body in frames] for f in found)
