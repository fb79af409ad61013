"""Line-oriented readers: an ASCII-line (Parallax / keyboard-wedge style) reader and a Wiegand serial bridge."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from firmware_mocks.readers.base import ReaderMock

ENDINGS = {"crlf": (b"", b"\r\n"), "cr": (b"", b"\r"), "lf": (b"", b"\n"), "parallax": (b"\n", b"\r")}
LONG_LINE = b"A" * 10_000  # the "long_line" fault: 10 kB and no terminator


def encode_line(uid: str, style: str = "crlf", lowercase: bool = False) -> bytes:
    """One UID line: ``<uid>\\r\\n``, or ``0A <uid> 0D`` for Parallax."""
    head, tail = ENDINGS[style]
    text = uid.lower() if lowercase else uid.upper()
    return head + text.encode("ascii") + tail


def encode_wiegand(facility: int, card: int, bits: Literal[26, 34] = 26) -> str:
    """The bit string with both parity bits (leading even, trailing odd)."""
    half = (bits - 2) // 2
    if not 0 <= facility < 1 << (bits - 2 - 16) or not 0 <= card < 1 << 16:
        raise ValueError(f"facility {facility} / card {card} do not fit Wiegand {bits}")
    data = format(facility, f"0{bits - 18}b") + format(card, "016b")
    even = str(data[:half].count("1") % 2)
    odd = str(1 - data[half:].count("1") % 2)
    return even + data + odd


class AsciiLineMock(ReaderMock[bytes]):
    """Sends one line per tap. Fields: ``style`` (crlf, cr, lf, parallax) and ``lowercase``."""

    kind: ClassVar[str] = "ascii"
    faults: ClassVar[frozenset[str]] = frozenset({"garbage", "truncated", "slow", "unplug", "replug", "long_line"})
    junk: ClassVar[bytes] = b"\x00\x7f\xff?#\r\n"  # a line of junk: the driver reports it and goes on

    def make_card(self, uid: str, **fields: Any) -> bytes:
        bytes.fromhex(uid if len(uid) % 2 == 0 else "0" + uid)  # raises ValueError for a non-hex uid
        style = fields.pop("style", "crlf")
        lowercase = bool(fields.pop("lowercase", False))
        if fields or style not in ENDINGS:
            raise ValueError(f"unknown fields {sorted(fields)} or style {style!r}")
        return encode_line(uid, style, lowercase)

    def on_tap(self, card: bytes) -> None:
        self.transmit(card)

    def on_fault(self, fault: str) -> None:
        if fault == "long_line":
            self.transmit(LONG_LINE, faultable=False)
        else:
            super().on_fault(fault)


class WiegandMock(ReaderMock[bytes]):
    """A Wiegand-to-serial bridge sending each frame as a line of bits (or hex).

    ``tap(uid)`` takes ``FACILITY:CARD`` or the driver's hex uid; fields
    ``facility``, ``card`` and ``bits`` (26 or 34) may be given instead.
    """

    kind: ClassVar[str] = "wiegand"
    faults: ClassVar[frozenset[str]] = frozenset({"garbage", "bad_checksum", "truncated", "slow", "unplug", "replug"})
    junk: ClassVar[bytes] = b"\xde\xad\x13\x37\x7e"

    def __init__(
        self, link: str | None = None, variant: str | None = None, bits: Literal[26, 34] = 26, line_format: str = "bits"
    ) -> None:
        super().__init__(link, variant)
        self.bits = bits
        self.line_format = line_format

    def make_card(self, uid: str, **fields: Any) -> bytes:
        bits = fields.pop("bits", self.bits)
        if bits not in (26, 34):
            raise ValueError("Wiegand frames have 26 or 34 bits")
        if "facility" in fields or "card" in fields:
            facility, card = int(fields.pop("facility", 0)), int(fields.pop("card", 0))
        elif ":" in uid:
            facility, card = (int(part) for part in uid.split(":", 1))
        else:
            value = int(uid, 16)
            facility, card = value >> 16, value & 0xFFFF
        if fields:
            raise ValueError(f"unknown fields {sorted(fields)}")
        return self._line(encode_wiegand(facility, card, bits))

    def _line(self, frame: str) -> bytes:
        text = frame if self.line_format == "bits" else format(int(frame, 2), f"0{(len(frame) + 3) // 4}X")
        return text.encode("ascii") + b"\r\n"

    def on_tap(self, card: bytes) -> None:
        self.transmit(card)

    def corrupt(self, frame: bytes) -> bytes:
        text = frame.decode("ascii").strip()
        bits = text if self.line_format == "bits" else format(int(text, 16), f"0{len(text) * 4 - 2}b")
        return self._line(bits[:-1] + ("0" if bits[-1] == "1" else "1"))  # trailing parity bit
