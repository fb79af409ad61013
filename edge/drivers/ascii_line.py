"""ASCII-line readers (Parallax, keyboard-wedge style): line splitting, UID parsing, and the driver.

There is no standard line format, so it is configured: the terminator, a
regular expression, the number base (hex or decimal), the byte order, and a
maximum line length. Lines are trimmed of whitespace and control characters,
so ``0A <uid> 0D`` (Parallax), CR, LF and CRLF endings all read alike.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from edge.drivers.base import CardRead, CardReader
from edge.drivers.framing import Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from protocol.checkin import CardKind

# ``rest`` starting with CAN (ASCII "cancel") means: the rest of an over-long
# line is being skipped up to its terminator. It keeps decode() pure while
# reporting the over-long line once and never reading its tail as a card.
CAN = b"\x18"
MAX_LINE_CAP = 1024
MAX_UID_BYTES = 32  # Card.uid allows 64 hex characters
_TRIM = bytes(range(0x21))
_IDLE_S = 0.2
Terminator = Literal["any", "cr", "lf", "crlf"]


def split_lines(buf: bytes, terminator: Terminator = "any", max_line: int = 64) -> tuple[list[bytes | Rejected], bytes]:
    """Trimmed non-empty lines in ``buf`` and the bytes to keep; an over-long line is a Rejected."""
    lines: list[bytes | Rejected] = []
    if buf.startswith(CAN):
        end, size = _terminator_at(buf, terminator)
        if end < 0:
            return lines, CAN
        buf = buf[end + size :]
    while True:
        end, size = _terminator_at(buf, terminator)
        if end < 0:
            if len(buf) > max_line:
                lines.append(Rejected(f"line longer than {max_line} bytes without a terminator", buf))
                return lines, CAN
            return lines, buf
        line, buf = buf[:end], buf[end + size :]
        if len(line) > max_line:
            lines.append(Rejected(f"line of {len(line)} bytes exceeds {max_line}", line))
        elif trimmed := line.strip(_TRIM):
            lines.append(trimmed)


def _terminator_at(buf: bytes, terminator: Terminator) -> tuple[int, int]:
    if terminator == "crlf":
        return buf.find(b"\r\n"), 2
    if terminator != "any":
        return buf.find(b"\r" if terminator == "cr" else b"\n"), 1
    ends = [i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0]
    return (min(ends), 1) if ends else (-1, 1)


@dataclass(frozen=True, slots=True)
class AsciiFrame:
    uid: str  # upper-case hex, in the configured byte order


class AsciiConfig(SerialReaderConfig):
    type: Literal["ascii"] = "ascii"
    baud: int = Field(default=9600, gt=0)
    pattern: str | None = Field(
        default=None, description="regex the trimmed line must match; group 'uid' if present (default: digits of base)"
    )
    base: Literal["hex", "decimal"] = "hex"
    byte_order: Literal["msb", "lsb"] = Field(default="msb", description="lsb: the reader sends the UID reversed")
    uid_bytes: int | None = Field(default=None, ge=1, le=MAX_UID_BYTES, description="zero-pad decimal UIDs")
    terminator: Terminator = "any"
    max_line: int = Field(default=64, ge=4, le=MAX_LINE_CAP)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return value


@dataclass(frozen=True, slots=True)
class LineCodec:
    """``decode()`` for one configured line format."""

    pattern: re.Pattern[str]
    base: Literal["hex", "decimal"] = "hex"
    byte_order: Literal["msb", "lsb"] = "msb"
    uid_bytes: int | None = None
    terminator: Terminator = "any"
    max_line: int = 64

    @classmethod
    def from_config(cls, cfg: AsciiConfig) -> LineCodec:
        default = r"[0-9A-Fa-f]+" if cfg.base == "hex" else r"[0-9]+"
        return cls(
            re.compile(cfg.pattern or default), cfg.base, cfg.byte_order, cfg.uid_bytes, cfg.terminator, cfg.max_line
        )

    def decode(self, buf: bytes) -> tuple[list[AsciiFrame | Rejected], bytes]:
        lines, rest = split_lines(buf, self.terminator, self.max_line)
        return [line if isinstance(line, Rejected) else self.parse(line) for line in lines], rest

    def parse(self, line: bytes) -> AsciiFrame | Rejected:
        text = line.decode("ascii", errors="replace")
        match = self.pattern.fullmatch(text)
        if match is None:
            return Rejected("line does not match the configured pattern", line)
        digits = match.group("uid") if "uid" in self.pattern.groupindex else match.group(0)
        try:
            raw = self._to_bytes(digits)
        except (ValueError, OverflowError) as exc:
            return Rejected(f"not a {self.base} UID: {exc}", line)
        if not 0 < len(raw) <= MAX_UID_BYTES:
            return Rejected(f"UID of {len(raw)} bytes", line)
        return AsciiFrame((raw[::-1] if self.byte_order == "lsb" else raw).hex().upper())

    def _to_bytes(self, digits: str) -> bytes:
        if self.base == "hex":
            return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
        value = int(digits, 10)
        return value.to_bytes(self.uid_bytes or max(1, (value.bit_length() + 7) // 8), "big")


decode = LineCodec(re.compile(r"[0-9A-Fa-f]+")).decode  # hex UIDs, any line ending, 64 bytes at most


class AsciiReader(CardReader):
    """Reads one UID per line. A line that does not parse, or runs past ``max_line``, raises
    FramingError; the next ``read()`` starts at the next line."""

    type_key: ClassVar[str] = "ascii"

    def __init__(self, cfg: AsciiConfig) -> None:
        self._link = SerialLink(cfg.port, cfg.baud)
        codec = LineCodec.from_config(cfg)
        self._frames = FrameStream(self._link, codec.decode, _IDLE_S, partial=lambda rest: not rest.startswith(CAN))

    def read(self, timeout: float) -> CardRead | None:
        item = self._frames.next(time.monotonic() + timeout)
        if isinstance(item, Rejected):
            raise item.error()
        return None if item is None else CardRead(kind=CardKind.ASCII, uid=item.uid)

    def close(self) -> None:
        self._link.close()
