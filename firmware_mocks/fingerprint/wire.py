"""The module's side of the wire: host packets cut from the bytes a driver writes, packets encoded.

Written from the R30x user manual and independent of the driver under test:
``EF 01 | address (4) | identifier | length (2, counting content and checksum)
| content | checksum (2, the low 16 bits of the sum from the identifier on)``.
Identifiers: 01 command, 02 data, 07 acknowledge, 08 end of data.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER = b"\xef\x01"
COMMAND, DATA, ACK, END = 0x01, 0x02, 0x07, 0x08
DEFAULT_ADDRESS = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class HostPacket:
    pid: int
    address: int
    content: bytes


@dataclass(frozen=True, slots=True)
class DamagedPacket:
    """A host packet whose checksum does not match."""


def cut_host_packet(buf: bytes) -> tuple[HostPacket | DamagedPacket | None, int] | None:
    """The packet whose header opens ``buf``, as a :class:`FrameSplitter` cut; None while incomplete.

    An impossible identifier or length drops only the header's first byte, so
    a packet behind a false header is still found.
    """
    if len(buf) < 9:
        return None
    pid, length = buf[6], buf[7] * 0x100 + buf[8]
    if pid not in (COMMAND, DATA, END) or not 3 <= length <= 258:
        return None, 1
    end = 9 + length
    if len(buf) < end:
        return None
    if sum(buf[6 : end - 2]) % 0x10000 != buf[end - 2] * 0x100 + buf[end - 1]:
        return DamagedPacket(), 1
    return HostPacket(pid, int.from_bytes(buf[2:6], "big"), buf[9 : end - 2]), end


def encode_packet(pid: int, content: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    length = len(content) + 2
    total = pid + length // 0x100 + length % 0x100 + sum(content)
    return (
        HEADER
        + address.to_bytes(4, "big")
        + bytes([pid, length // 0x100, length % 0x100])
        + content
        + ((total % 0x10000).to_bytes(2, "big"))
    )
