"""A 125 kHz EM4100 reader: sends a frame per tag and repeats it while the tag stays.

Variants: ``rdm6300`` sends ``02 <10 hex> <2 hex XOR> 03``; ``id12`` (the
ID-12/ID-20 family) puts CR LF before the ETX: ``02 <10 hex> <2 hex XOR> 0D 0A 03``.
"""

from __future__ import annotations

from functools import reduce
from operator import xor
from typing import Any, ClassVar

from firmware_mocks.readers.base import ReaderMock

REPEATS = 3  # frames per tap; the driver must debounce them to one read
REPEAT_GAP_S = 0.05
_TAILS = {"rdm6300": b"\x03", "id12": b"\r\n\x03"}


def encode(uid: str, variant: str = "rdm6300") -> bytes:
    """The frame for a 10-hex-character tag id (version byte + 4-byte id), as reader ``variant`` sends it."""
    data = bytes.fromhex(uid)
    if len(data) != 5:
        raise ValueError(f"EM4100 ids are 5 bytes (10 hex characters), not {uid!r}")
    return b"\x02" + data.hex().upper().encode("ascii") + b"%02X" % reduce(xor, data, 0) + _TAILS[variant]


class Em4100Mock(ReaderMock[bytes]):
    kind: ClassVar[str] = "em4100"
    variants: ClassVar[tuple[str, ...]] = tuple(_TAILS)

    def make_card(self, uid: str, **fields: Any) -> bytes:
        if fields:
            raise ValueError(f"EM4100 tags carry only an id, not {sorted(fields)}")
        return encode(uid, self.variant)

    def on_tap(self, card: bytes) -> None:
        self.transmit(card)
        for repeat in range(1, REPEATS):
            self.after(repeat * REPEAT_GAP_S, lambda: self.transmit(card))

    def corrupt(self, frame: bytes) -> bytes:
        wrong = int(frame[11:13], 16) ^ 0x01
        return frame[:11] + b"%02X" % wrong + frame[13:]
