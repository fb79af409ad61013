"""EM4100 framing (RDM6300 and ID-12 frames): published frames, fault cases of READERS.md §4.4, fuzzing of decode()."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.drivers.em4100 import Em4100Frame, decode
from edge.drivers.framing import Debouncer, Rejected
from firmware_mocks.readers.em4100 import encode
from tests.fixtures.readers import FUZZ, decode_in_pieces, valid

PUBLISHED = b"\x0213005D1DA5F6\x03"
ID12_PUBLISHED = b"\x027C0055F8C415\r\n\x03"  # the example of Meadow.Foundation's IDxxLA driver
VARIANTS = ("rdm6300", "id12")


def test_published_frame() -> None:
    assert encode("13005D1DA5") == PUBLISHED
    assert decode(PUBLISHED) == ([Em4100Frame("13005D1DA5")], b"")


def test_published_id12_frame() -> None:
    assert encode("7C0055F8C4", "id12") == ID12_PUBLISHED
    assert len(ID12_PUBLISHED) == 16
    assert decode(ID12_PUBLISHED) == ([Em4100Frame("7C0055F8C4")], b"")


def test_both_kinds_of_frame_in_one_stream_and_an_id12_frame_waits_for_its_tail() -> None:
    assert decode(ID12_PUBLISHED + PUBLISHED + ID12_PUBLISHED) == (
        [Em4100Frame("7C0055F8C4"), Em4100Frame("13005D1DA5"), Em4100Frame("7C0055F8C4")],
        b"",
    )
    for cut in (13, 14, 15):
        assert decode(ID12_PUBLISHED[:cut]) == ([], ID12_PUBLISHED[:cut])


def test_lower_case_hex_is_normalised() -> None:
    assert decode(b"\x0213005d1da5f6\x03") == ([Em4100Frame("13005D1DA5")], b"")


@pytest.mark.parametrize(
    ("bad", "reason", "checksum"),
    [
        (b"\x0213005D1DA5F7\x03", "bad checksum", True),
        (b"\x0213005D1DG5F6\x03", "non-hex", False),
        (b"\x0213005D1DA5F6\x04", "missing ETX", False),
        (b"\x0213005D", "cut short", False),  # followed by the next STX
        (b"\x0213005D1DA5F6\r\x03", "missing ETX", False),  # CR without LF
        (b"\x0213005D1DA5F6\r\n\x04", "missing ETX", False),
        (b"\x027C0055F8C416\r\n\x03", "bad checksum", True),
    ],
)
def test_a_bad_frame_is_dropped_and_the_next_stx_resyncs(bad: bytes, reason: str, checksum: bool) -> None:
    frames, rest = decode(bad + PUBLISHED)
    assert isinstance(frames[0], Rejected)
    assert reason in frames[0].reason
    assert frames[0].checksum is checksum
    assert frames[1:] == [Em4100Frame("13005D1DA5")]
    assert rest == b""


def test_debouncer_slides_with_repeats() -> None:
    now = [0.0]
    debouncer = Debouncer(1.5, clock=lambda: now[0])
    assert debouncer.accept("A")
    now[0] = 1.0
    assert not debouncer.accept("A")
    now[0] = 2.0  # 1.0 s after the last repeat: still the same presentation
    assert not debouncer.accept("A")
    assert debouncer.accept("B")
    now[0] = 4.0
    assert debouncer.accept("B")  # last seen 2 s ago: presented again
    now[0] = 10.0
    assert debouncer.accept("A")


uids = st.binary(min_size=5, max_size=5).map(lambda b: b.hex().upper())
variants = st.sampled_from(VARIANTS)
garbage = st.binary(max_size=20).filter(lambda b: b"\x02" not in b)


@FUZZ
@given(st.binary(max_size=200), st.lists(st.integers(0, 200), max_size=20))
def test_random_bytes_never_crash_and_pieces_do_not_matter(data: bytes, cuts: list[int]) -> None:
    whole, rest = decode(data)
    assert valid(decode_in_pieces(decode, data, cuts)[0]) == valid(whole)
    assert len(rest) < 16
    for frame in valid(whole):  # anything accepted is a checksummed frame that was in the input
        assert isinstance(frame, Em4100Frame)
        assert any(encode(frame.uid, variant) in data.upper() for variant in VARIANTS)


@FUZZ
@given(st.lists(st.sampled_from([b"\x02", b"\x03", b"\r", b"\n", b"A", b"0", b"F6"]), max_size=60))
def test_bytes_of_the_frame_alphabet_never_crash(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    whole, rest = decode(data)
    assert len(rest) < 16
    for frame in valid(whole):
        assert isinstance(frame, Em4100Frame)
        assert any(encode(frame.uid, variant) in data.upper() for variant in VARIANTS)


@FUZZ
@given(st.lists(st.tuples(garbage, uids, variants), min_size=1, max_size=6), st.lists(st.integers(0, 300)))
def test_every_intact_frame_is_recovered(parts: list[tuple[bytes, str, str]], cuts: list[int]) -> None:
    stream = b"".join(junk + encode(uid, variant) for junk, uid, variant in parts)
    expected = [Em4100Frame(uid) for _, uid, _ in parts]
    assert valid(decode_in_pieces(decode, stream, cuts)[0]) == expected
    for cut in range(len(stream)):
        assert valid(decode_in_pieces(decode, stream, [cut])[0]) == expected


@FUZZ
@given(st.lists(uids, min_size=1, max_size=4), variants, st.data())
def test_a_bit_flip_loses_at_most_its_own_frame(tags: list[str], variant: str, data: st.DataObject) -> None:
    stream = bytearray(b"".join(encode(uid, variant) for uid in tags))
    position = data.draw(st.integers(0, len(stream) - 1))
    stream[position] ^= 1 << data.draw(st.integers(0, 7))
    found = valid(decode(bytes(stream) + b"\x02")[0])  # a following STX ends a frame left open
    damaged = position // len(encode(tags[0], variant))
    everything = [Em4100Frame(uid) for uid in tags]
    # A flip either kills its own frame or is harmless (upper to lower case hex); never a false id.
    assert found in (everything, [f for i, f in enumerate(everything) if i != damaged])
