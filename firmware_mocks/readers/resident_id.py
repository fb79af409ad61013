"""A resident ID card (二代证) reader: a SAM answering find, select and read with the GA 467 framing.

A tapped card stays on the reader until its text and photo have gone out
intact once. Each ``select_failed`` or ``read_failed`` fault answers one
select or read with SW3 81 / 41. Variant ``lowercase-x`` sends an ID number's
check character X in lower case, as many readers do.

Host commands are cut by this module's own parser, written from GA 467 and
independent of the driver under test: ``AA AA AA 96 69``, Len (2 bytes,
big-endian, counting the body and CHK), body ``CMD Para [Data]``, CHK (XOR
of Len and body). A command with an impossible Len or a bad CHK is answered
with SW3 10 (bad checksum).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from firmware_mocks.readers.base import COMMON_FAULTS, ReaderMock
from firmware_mocks.readers.splitter import FrameSplitter
from protocol.checkin import IdCardFields

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MIN_LEN, MAX_LEN = 3, 4096  # CMD Para CHK at least; longer claims than the SAM's buffer are refused at once
TEXT_BYTES, PHOTO_BYTES = 256, 1024
# (field, characters) in the order of the text block; 2 bytes per UTF-16LE character.
TEXT_FIELDS = (("name", 15), ("sex", 1), ("ethnicity", 2), ("birth_date", 8), ("address", 35),
               ("id_number", 18), ("issuer", 15), ("valid_from", 8), ("valid_to", 8))  # fmt: skip
DEFAULTS = {"name": "张三", "sex": "1", "ethnicity": "01", "address": "北京市东城区正义路1号",
            "issuer": "北京市公安局东城分局", "valid_from": "20200101", "valid_to": "20400101"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class HostCommand:
    """A well-formed host command: CMD and Para, then any data."""

    code: bytes  # CMD Para, e.g. 20 01 for find card
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class DamagedCommand:
    """A host frame the SAM could not accept."""

    fault: Literal["length", "checksum"]


def xor_all(data: bytes) -> int:
    chk = 0
    for byte in data:
        chk ^= byte
    return chk


def cut_host_command(buf: bytes) -> tuple[HostCommand | DamagedCommand, int] | None:
    """The command whose preamble opens ``buf``, as a :class:`FrameSplitter` cut; None while incomplete.

    A damaged frame consumes only its preamble, so a command behind it is still found.
    """
    head = len(PREAMBLE) + 2
    if len(buf) < head:
        return None
    length = int.from_bytes(buf[len(PREAMBLE) : head], "big")
    if length < MIN_LEN or length > MAX_LEN:
        return DamagedCommand("length"), len(PREAMBLE)
    end = head + length
    if len(buf) < end:
        return None
    if xor_all(buf[len(PREAMBLE) : end]) != 0:  # Len, body and CHK together XOR to zero
        return DamagedCommand("checksum"), len(PREAMBLE)
    return HostCommand(buf[head : head + 2], buf[head + 2 : end - 1]), end


def host_command_splitter() -> FrameSplitter[HostCommand | DamagedCommand]:
    """The SAM's receive buffer for what a host writes."""
    return FrameSplitter(PREAMBLE, cut_host_command)


def encode_frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor_all(length + body)])


def encode_response(sw3: int, data: bytes = b"") -> bytes:
    return encode_frame(b"\x00\x00" + bytes([sw3]) + data)


def encode_text(card: IdCardFields, lowercase_x: bool = False) -> bytes:
    """The 256-byte UTF-16LE text block, space padded; ``lowercase_x`` writes the check character X as x."""
    values = card.model_dump()
    values["birth_date"] = card.birth_date.strftime("%Y%m%d")
    if lowercase_x:
        values["id_number"] = card.id_number.lower()
    text = "".join(str(values[name])[:size].ljust(size) for name, size in TEXT_FIELDS)
    return text.ljust(TEXT_BYTES // 2).encode("utf-16-le")


def photo_for(card: IdCardFields) -> bytes:
    """A stand-in for the 1024-byte WLT photo: deterministic bytes derived from the ID number."""
    seed = hashlib.sha256(card.id_number.encode()).digest()
    return (seed * (PHOTO_BYTES // len(seed) + 1))[:PHOTO_BYTES]


def encode_read_reply(card: IdCardFields, lowercase_x: bool = False) -> bytes:
    text = encode_text(card, lowercase_x)
    data = TEXT_BYTES.to_bytes(2, "big") + PHOTO_BYTES.to_bytes(2, "big") + text + photo_for(card)
    return encode_response(0x90, data)


def make_fields(id_number: str, **fields: Any) -> IdCardFields:
    """Card fields for an ID number; the birth date defaults to the one inside the number."""
    if len(id_number) != 18 or not id_number[:17].isdigit() or id_number[17] not in "0123456789X":
        raise ValueError(f"{id_number!r} is not an 18-character ID number")
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return IdCardFields.model_validate({**DEFAULTS, "birth_date": birth, **fields, "id_number": id_number})


class ResidentIdMock(ReaderMock[IdCardFields]):
    kind: ClassVar[str] = "resident_id"
    faults: ClassVar[frozenset[str]] = COMMON_FAULTS | {"select_failed", "read_failed"}
    variants: ClassVar[tuple[str, ...]] = ("standard", "lowercase-x")

    def __init__(self, link: str | None = None, variant: str | None = None) -> None:
        super().__init__(link, variant)
        self._rx = host_command_splitter()
        self._card: IdCardFields | None = None
        self._fail: Counter[str] = Counter()  # failures still to answer, per step

    def make_card(self, uid: str, **fields: Any) -> IdCardFields:
        return make_fields(uid.upper(), **fields)

    def on_tap(self, card: IdCardFields) -> None:
        self._card = card

    def on_fault(self, fault: str) -> None:
        if fault in {"select_failed", "read_failed"}:
            self._fail[fault] += 1
        else:
            super().on_fault(fault)

    def corrupt(self, frame: bytes) -> bytes:
        return frame[:-1] + bytes([frame[-1] ^ 0xFF])

    def on_host_bytes(self, data: bytes) -> None:
        for frame in self._rx.feed(data):
            if isinstance(frame, DamagedCommand):
                self.transmit(encode_response(0x10))  # the SAM reports the bad checksum
            else:
                self._on_command(frame.code)

    def _on_command(self, command: bytes) -> None:
        if command == b"\x20\x01":
            self.transmit(encode_response(0x9F, bytes(4)) if self._card else encode_response(0x80))
        elif command == b"\x20\x02":
            ok = self._card is not None and not self._failing("select_failed")
            self.transmit(encode_response(0x90, bytes(8)) if ok else encode_response(0x81))
        elif command == b"\x30\x01":
            if self._card is None or self._failing("read_failed"):
                self.transmit(encode_response(0x41))
            elif self.transmit(encode_read_reply(self._card, self.variant == "lowercase-x")):
                self._card = None  # read once; the guard takes the card away
        elif command == b"\x11\xff":
            self.transmit(encode_response(0x90))
        else:
            self.transmit(encode_response(0x21))

    def _failing(self, fault: str) -> bool:
        if self._fail[fault] > 0:
            self._fail[fault] -= 1
            return True
        return False
