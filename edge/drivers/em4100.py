"""125 kHz EM4100 readers of the RDM6300 kind: frame codec and driver.

A frame is 14 bytes: STX (02), 10 ASCII hex characters (5 bytes), 2 ASCII hex
characters of their XOR, ETX (03). The reader repeats it while the tag stays
in the field, so the driver debounces.
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
FRAME_LEN = 14
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_IDLE_S = 0.2  # a frame takes 15 ms at 9600 baud


@dataclass(frozen=True, slots=True)
class Em4100Frame:
    uid: str  # 10 upper-case hex characters: the 5 data bytes as sent


def checksum(data: bytes) -> int:
    """XOR of the data bytes."""
    return reduce(xor, data, 0)


def decode(buf: bytes) -> tuple[list[Em4100Frame | Rejected], bytes]:
    """Frames in ``buf`` and the bytes to keep (an unfinished frame from its STX).

    A frame with a non-hex character, a missing ETX or a bad checksum is
    returned as a Rejected; scanning resumes at the next STX. A prefix is
    rejected as soon as one of its bytes cannot belong to a frame, so a cut
    frame never holds back the one behind it.
    """
    frames: list[Em4100Frame | Rejected] = []
    i = 0
    while (start := buf.find(STX, i)) >= 0:
        candidate = buf[start : start + FRAME_LEN]
        fault = _prefix_fault(candidate)
        if fault is not None:
            frames.append(Rejected(fault, candidate))
            i = start + 1
        elif len(candidate) < FRAME_LEN:
            return frames, buf[start:]
        else:
            frames.append(_checked(candidate))
            i = start + FRAME_LEN
    return frames, b""


def _prefix_fault(candidate: bytes) -> str | None:
    for byte in candidate[1:13]:
        if byte not in _HEX:
            return "EM4100 frame cut short by a new STX" if byte == STX else "EM4100 non-hex character"
    if len(candidate) == FRAME_LEN and candidate[13] != ETX:
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
    """Reads EM4100 tags; ``uid`` is the 10 hex characters of the frame.

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
