"""ASCII-line and Wiegand framing without I/O: configured formats, READERS.md §4.6-4.7, fuzzing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from edge.drivers.ascii_line import CAN, AsciiConfig, AsciiFrame, LineCodec, decode, split_lines
from edge.drivers.framing import Rejected
from edge.drivers.wiegand import WiegandFrame, parse_bits
from edge.drivers.wiegand import decode as wiegand_decode
from firmware_mocks.readers.lines import encode_line, encode_wiegand
from tests.fixtures.readers import FUZZ, decode_in_pieces, valid


@pytest.mark.parametrize("style", ["crlf", "cr", "lf", "parallax"])
@pytest.mark.parametrize("lowercase", [False, True])
def test_every_line_ending_and_case_reads_the_same_uid(style: str, lowercase: bool) -> None:
    frames, rest = decode(encode_line("04A1B2C3D4", style, lowercase) * 2)
    assert frames == [AsciiFrame("04A1B2C3D4")] * 2
    assert rest in (b"", b"\n")  # Parallax starts its next line with LF


def test_a_ten_kilobyte_line_is_reported_once_and_its_tail_never_reads() -> None:
    stream = b"A" * 10_000 + b"\r\n" + b"CAFE\r\n"
    frames, rest = decode_in_pieces(decode, stream, list(range(0, len(stream), 700)))
    rejected = [f for f in frames if isinstance(f, Rejected)]
    assert len(rejected) == 1
    assert "longer than 64" in rejected[0].reason
    assert valid(frames) == [AsciiFrame("CAFE")]
    assert rest == b""


def test_the_skip_marker_bounds_the_buffer() -> None:
    frames, rest = decode(b"1" * 5000)
    assert len(frames) == 1
    assert rest == CAN


@pytest.mark.parametrize(
    ("cfg", "line", "uid"),
    [
        ({"base": "decimal"}, b"0010597059", "A1B2C3"),
        ({"base": "decimal", "uid_bytes": 4}, b"0010597059", "00A1B2C3"),
        ({"byte_order": "lsb"}, b"C3B2A100", "00A1B2C3"),
        ({"pattern": r"UID:(?P<uid>[0-9A-F]+);"}, b"UID:DEADBEEF;", "DEADBEEF"),
        ({}, b"ABC", "0ABC"),
    ],
)
def test_configured_formats(cfg: dict[str, object], line: bytes, uid: str) -> None:
    codec = LineCodec.from_config(AsciiConfig.model_validate({"port": "loop://", **cfg}))
    assert codec.parse(line) == AsciiFrame(uid)


def test_a_line_outside_the_pattern_is_rejected() -> None:
    assert isinstance(LineCodec(re.compile(r"[0-9]+"), base="decimal").parse(b"12AB"), Rejected)


def test_config_refuses_bad_patterns_and_uncapped_lines() -> None:
    with pytest.raises(ValidationError):
        AsciiConfig(port="loop://", pattern="([")
    with pytest.raises(ValidationError):
        AsciiConfig(port="loop://", max_line=100_000)


def test_split_lines_honours_a_crlf_terminator() -> None:
    lines, rest = split_lines(b"AB\rCD\r\nEF", "crlf")
    assert lines == [b"AB\rCD"]  # trimmed at the ends only: a lone CR inside is not an end
    assert rest == b"EF"


def test_published_wiegand_26_example() -> None:
    assert parse_bits("00101101000000001010001000", 26) == WiegandFrame(26, 90, 324)
    assert WiegandFrame(26, 90, 324).uid == "5A0144"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"00101101000000001010001001", "parity"),
        (b"10101101000000001010001000", "parity"),
        (b"0010110100000000101000100", "25 bits"),
        (b"0010110100000000101000100X", "not a bit string"),
    ],
)
def test_wiegand_parity_and_bit_count_errors_are_rejected(line: bytes, reason: str) -> None:
    frames, _ = wiegand_decode(line + b"\r\n")
    assert len(frames) == 1
    assert isinstance(frames[0], Rejected)
    assert reason in frames[0].reason


def test_wiegand_34_in_hex_lines() -> None:
    line = format(int(encode_wiegand(4660, 65000, 34), 2), "09X").encode() + b"\n"
    frames, _ = wiegand_decode(line, 34, "hex")
    assert frames == [WiegandFrame(34, 4660, 65000)]
    assert WiegandFrame(34, 4660, 65000).uid == "1234FDE8"
    assert isinstance(wiegand_decode(line, 26, "hex")[0][0], Rejected)


uids = st.binary(min_size=1, max_size=10).map(lambda b: b.hex().upper())
styles = st.sampled_from(["crlf", "cr", "lf", "parallax"])
garbage_lines = st.binary(max_size=20).filter(lambda b: not b.startswith(CAN)).map(lambda b: b + b"\r\n")


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=20))
def test_random_bytes_never_crash_and_buffers_stay_capped(data: bytes, cuts: list[int]) -> None:
    frames, rest = decode_in_pieces(decode, data, cuts)
    assert len(rest) <= 64
    text = data.upper().decode("latin-1")
    for frame in valid(frames):  # a UID is hex digits that were on the line (odd counts get a leading 0)
        assert isinstance(frame, AsciiFrame)
        assert frame.uid in text or (frame.uid.startswith("0") and frame.uid[1:] in text)


@FUZZ
@given(st.lists(st.tuples(garbage_lines, uids, styles), min_size=1, max_size=5), st.lists(st.integers(0, 300)))
def test_every_intact_line_is_recovered(parts: list[tuple[bytes, str, str]], cuts: list[int]) -> None:
    stream = b"".join(junk + encode_line(uid, style) for junk, uid, style in parts)
    found = [f for f in valid(decode_in_pieces(decode, stream, cuts)[0]) if f in [AsciiFrame(u) for _, u, _ in parts]]
    # Junk lines may themselves be hex and read as a UID; every tapped one must be there, in order.
    expected = [AsciiFrame(uid) for _, uid, _ in parts]
    it = iter(found)
    assert all(any(f == e for f in it) for e in expected)


@FUZZ
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 25), st.lists(st.integers(0, 30)))
def test_wiegand_round_trips_and_any_single_bit_flip_is_caught(
    facility: int, card: int, flip: int, cuts: list[int]
) -> None:
    bits = encode_wiegand(facility, card)
    line = bits.encode() + b"\r\n"
    assert valid(decode_in_pieces(wiegand_decode, line, cuts)[0]) == [WiegandFrame(26, facility, card)]
    flipped = bits[:flip] + ("1" if bits[flip] == "0" else "0") + bits[flip + 1 :]
    assert valid(wiegand_decode(flipped.encode() + b"\r\n")[0]) == []
