"""Wiegand 26 (H10301) and 34 (H10306) frames from a serial bridge: parity, fields, and the driver.

Bridges differ, so the line format is configured: ``bits`` sends the frame as
``0``/``1`` characters, ``hex`` as the frame's value in hex (7 digits for 26
bits, 9 for 34), one frame per line. The leading parity bit is even over the
first half of the data, the trailing one odd over the second half.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from edge.drivers.ascii_line import CAN, split_lines
from edge.drivers.base import CardRead, CardReader
from edge.drivers.framing import Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from protocol.checkin import CardKind

Bits = Literal[26, 34]
LineFormat = Literal["bits", "hex"]
_FACILITY_BITS = {26: 8, 34: 16}
_KINDS = {26: CardKind.WIEGAND26, 34: CardKind.WIEGAND34}
_IDLE_S = 0.2


@dataclass(frozen=True, slots=True)
class WiegandFrame:
    bits: int
    facility: int
    card: int

    @property
    def uid(self) -> str:
        """Facility and card number as one hex string (6 digits for 26 bits, 8 for 34)."""
        width = _FACILITY_BITS[self.bits] // 4
        return f"{self.facility:0{width}X}{self.card:04X}"


def parse_bits(bits: str, size: Bits) -> WiegandFrame | Rejected:
    """Check count and parity of a ``0``/``1`` string and split it into facility and card number."""
    raw = bits.encode("ascii", errors="replace")
    if set(bits) - {"0", "1"}:
        return Rejected("Wiegand line is not a bit string", raw)
    if len(bits) != size:
        return Rejected(f"Wiegand frame of {len(bits)} bits, expected {size}", raw)
    half = size // 2
    if bits[:half].count("1") % 2 or bits[half:].count("1") % 2 == 0:
        return Rejected("Wiegand parity error", raw, checksum=True)
    split = 1 + _FACILITY_BITS[size]
    return WiegandFrame(size, int(bits[1:split], 2), int(bits[split:-1], 2))


def decode(
    buf: bytes, size: Bits = 26, line_format: LineFormat = "bits"
) -> tuple[list[WiegandFrame | Rejected], bytes]:
    """Frames in ``buf`` (one per line) and the bytes to keep."""
    lines, rest = split_lines(buf, "any", max_line=64)
    return [line if isinstance(line, Rejected) else _parse_line(line, size, line_format) for line in lines], rest


def _parse_line(line: bytes, size: Bits, line_format: LineFormat) -> WiegandFrame | Rejected:
    text = line.decode("ascii", errors="replace")
    if line_format == "bits":
        return parse_bits(text, size)
    digits = (size + 3) // 4
    try:
        value = int(text, 16)
    except ValueError:
        return Rejected("Wiegand line is not hex", line)
    if len(text) != digits or value >= 1 << size:
        return Rejected(f"Wiegand hex frame {text!r} does not hold {size} bits", line)
    return parse_bits(format(value, f"0{size}b"), size)


class WiegandConfig(SerialReaderConfig):
    type: Literal["wiegand"] = "wiegand"
    baud: int = Field(default=9600, gt=0)
    bits: Bits = 26
    line_format: LineFormat = "bits"


class WiegandReader(CardReader):
    """Reads Wiegand frames; ``details`` holds ``facility`` and ``card`` (decimal).

    A parity error raises ChecksumError, a wrong bit count or a malformed
    line FramingError; the frame is dropped and reading goes on with the next line.
    """

    type_key: ClassVar[str] = "wiegand"

    def __init__(self, cfg: WiegandConfig) -> None:
        self._link = SerialLink(cfg.port, cfg.baud)

        def codec(buf: bytes) -> tuple[list[WiegandFrame | Rejected], bytes]:
            return decode(buf, cfg.bits, cfg.line_format)

        self._frames = FrameStream(self._link, codec, _IDLE_S, partial=lambda rest: not rest.startswith(CAN))

    def read(self, timeout: float) -> CardRead | None:
        item = self._frames.next(time.monotonic() + timeout)
        if isinstance(item, Rejected):
            raise item.error()
        if item is None:
            return None
        details = {"facility": str(item.facility), "card": str(item.card)}
        return CardRead(kind=_KINDS[item.bits], uid=item.uid, details=details)

    def close(self) -> None:
        self._link.close()
