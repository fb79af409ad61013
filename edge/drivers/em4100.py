"""125 kHz EM4100 readers of the RDM6300 and ID-12/ID-20 kinds: frame codec and driver.

An RDM6300 frame is 14 bytes: STX (02), 10 ASCII hex characters (5 bytes), 2
ASCII hex characters of their XOR, ETX (03). The ID-12/ID-20 family sends the
same with CR LF before the ETX: ``02 <10 hex> <2 hex> 0D 0A 03``, 16 bytes.
Sources for that layout: the ID-12 "Data Output Format - ASCII" (STX, 10 data
characters, 2 checksum characters, CR, LF, ETX) as summarised at
https://slab.concordia.ca/arduino/rfid, and the ID-2LA/ID-12LA/ID-20LA driver of
WildernessLabs/Meadow.Foundation (``IDxxLA.cs``: 16 bytes, STX at 0, ETX at 15,
XOR checksum; its example ``7C0055F8C4`` with checksum ``15``). Both kinds
repeat the frame while the tag stays in the field, so the driver debounces.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import xor
from typing import ClassVar, Literal

from pydantic import Field

from edge.drivers.base import CardRead, CardReader
from edge.drivers.framing import Debouncer, Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from protocol.checkin import CardKind

STX = 0x02
ETX = 0x03
CR = 0x0D
FRAME_LEN = 14  # RDM6300
ID12_FRAME_LEN = 16  # ID-12/ID-20: CR LF before ETX
_TAIL_AT = 13  # after the checksum: ETX (RDM6300) or CR (ID-12)
_TAILS = {FRAME_LEN: b"\x03", ID12_FRAME_LEN: b"\r\n\x03"}
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_IDLE_S = 0.2  # a frame takes 15 ms at 9600 baud


@dataclass(frozen=True, slots=True)
class Em4100Frame:
    uid: str  # 10 upper-case hex characters: the 5 data bytes as sent


def checksum(data: bytes) -> int:
    """XOR of the data bytes."""
    return reduce(xor, data, 0)


def decode(buf: bytes) -> tuple[list[Em4100Frame | Rejected], bytes]:
    """Frames in ``buf`` (RDM6300 and ID-12 alike) and the bytes to keep (an unfinished frame from its STX).

    A frame with a non-hex character, a missing ETX (or CR LF ETX) or a bad
    checksum is returned as a Rejected; scanning resumes at the next STX. A
    prefix is rejected as soon as one of its bytes cannot belong to a frame,
    so a cut frame never holds back the one behind it.
    """
    frames: list[Em4100Frame | Rejected] = []
    i = 0
    while (start := buf.find(STX, i)) >= 0:
        candidate = buf[start : start + ID12_FRAME_LEN]
        fault = _prefix_fault(candidate)
        size = _frame_len(candidate)
        if fault is not None:
            frames.append(Rejected(fault, candidate[:size]))
            i = start + 1
        elif len(candidate) < size:
            return frames, buf[start:]
        else:
            frames.append(_checked(candidate[:size]))
            i = start + size
    return frames, b""


def _frame_len(candidate: bytes) -> int:
    """The length the frame that ``candidate`` begins will have: decided by the byte after the checksum."""
    return ID12_FRAME_LEN if len(candidate) > _TAIL_AT and candidate[_TAIL_AT] == CR else FRAME_LEN


def _prefix_fault(candidate: bytes) -> str | None:
    for byte in candidate[1:_TAIL_AT]:
        if byte not in _HEX:
            return "EM4100 frame cut short by a new STX" if byte == STX else "EM4100 non-hex character"
    size = _frame_len(candidate)
    if not _TAILS[size].startswith(candidate[_TAIL_AT:size]):
        return "EM4100 missing ETX"
    return None


def _checked(frame: bytes) -> Em4100Frame | Rejected:
    data = bytes.fromhex(frame[1:11].decode("ascii"))
    if checksum(data) != int(frame[11:13], 16):
        return Rejected("EM4100 bad checksum", frame, checksum=True)
    return Em4100Frame(frame[1:11].decode("ascii").upper())


class Em4100Config(SerialReaderConfig):
    type: Literal["em4100"] = "em4100"
    baud: int = Field(default=9600, gt=0)
    debounce_s: float = Field(default=1.5, ge=0, le=60, description="a tag held in the field reads once")


class Em4100Reader(CardReader):
    """Reads EM4100 tags from RDM6300 or ID-12/ID-20 readers; ``uid`` is the 10 hex characters of the frame.

    A damaged frame (non-hex, no ETX, cut short) raises FramingError and a bad
    checksum ChecksumError; either way the frame is dropped and the next
    ``read()`` resumes at the next STX. Repeats of the same tag within
    ``debounce_s`` of its last sighting are suppressed.
    """

    type_key: ClassVar[str] = "em4100"

    def __init__(self, cfg: Em4100Config, clock: Callable[[], float] = time.monotonic) -> None:
        self._link = SerialLink(cfg.port, cfg.baud)
        self._frames = FrameStream(self._link, decode, _IDLE_S)
        self._debouncer = Debouncer(cfg.debounce_s, clock)

    def read(self, timeout: float) -> CardRead | None:
        deadline = time.monotonic() + timeout
        while (item := self._frames.next(deadline)) is not None:
            if isinstance(item, Rejected):
                raise item.error()
            if self._debouncer.accept(item.uid):
                return CardRead(kind=CardKind.EM4100, uid=item.uid)
        return None

    def close(self) -> None:
        self._link.close()
