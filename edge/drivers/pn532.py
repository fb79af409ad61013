"""NXP PN532 over HSU (UART): frame codec and the polling driver for ISO 14443A UIDs.

Frames: ``00 00 FF LEN LCS TFI PD.. DCS 00`` (normal), ``00 00 FF FF FF LENM
LENL LCS TFI.. DCS 00`` (extended), ACK ``00 00 FF 00 FF 00``, NACK ``00 00 FF
FF 00 00``, error ``00 00 FF 01 FF 7F 81 00``. Preamble and postamble may be
any number of zero bytes, so the decoder syncs on ``00 FF``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Literal

from pydantic import Field

from edge.drivers.base import CardRead, CardReader
from edge.drivers.framing import Debouncer, Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from edge.errors import FramingError, ReaderError
from protocol.checkin import CardKind

SYNC = b"\x00\xff"
HOST_TFI = 0xD4
CHIP_TFI = 0xD5
ERROR_TFI = 0x7F
ACK = b"\x00\x00\xff\x00\xff\x00"
NACK = b"\x00\x00\xff\xff\x00\x00"
WAKEUP = b"\x55\x55" + b"\x00" * 14  # leaves LowVbat mode; must be followed by SAMConfiguration
MAX_DATA = 265  # TFI + 264 bytes of PD: the chip's largest frame

GET_FIRMWARE_VERSION = 0x02
SAM_CONFIGURATION = 0x14
RF_CONFIGURATION = 0x32
IN_LIST_PASSIVE_TARGET = 0x4A
UID_LENGTHS = (4, 7, 10)
_IDLE_S = 0.05  # a frame takes ~2 ms at 115200 baud; 50 ms of silence means it was cut


class Pn532FrameKind(Enum):
    ACK = "ack"
    NACK = "nack"
    ERROR = "error"  # the chip's syntax-error frame
    DATA = "data"


@dataclass(frozen=True, slots=True)
class Pn532Frame:
    kind: Pn532FrameKind
    tfi: int = 0
    data: bytes = b""  # PD bytes after the TFI; data[0] is the command or response code


def encode_frame(tfi: int, data: bytes) -> bytes:
    """A normal (or, above 255 bytes, extended) information frame."""
    body = bytes([tfi]) + data
    if len(body) > MAX_DATA:
        raise ValueError(f"PN532 frame of {len(body)} bytes exceeds {MAX_DATA}")
    dcs = -sum(body) & 0xFF
    if len(body) <= 0xFF:
        header = bytes([len(body), -len(body) & 0xFF])
    else:
        hi, lo = divmod(len(body), 0x100)
        header = bytes([0xFF, 0xFF, hi, lo, -(hi + lo) & 0xFF])
    return b"\x00\x00\xff" + header + body + bytes([dcs, 0x00])


def decode(buf: bytes) -> tuple[list[Pn532Frame | Rejected], bytes]:
    """Frames found in ``buf`` and the bytes to keep for the next call.

    Junk between frames is skipped. A header or data checksum mismatch is
    returned as a Rejected and scanning resumes two bytes after its ``00 FF``,
    so a good frame hidden behind a false sync is still found.
    """
    frames: list[Pn532Frame | Rejected] = []
    i = 0
    while (start := buf.find(SYNC, i)) >= 0:
        found, i = _frame_at(buf, start)
        if found is None:
            return frames, buf[start:]
        frames.append(found)
    return frames, (b"\x00" if buf.endswith(b"\x00") else b"")


def _frame_at(buf: bytes, start: int) -> tuple[Pn532Frame | Rejected | None, int]:
    """The frame whose ``00 FF`` is at ``start`` and where scanning resumes; None if incomplete."""
    head = buf[start + 2 : start + 4]
    if len(head) < 2:
        return None, start
    if head == b"\x00\xff":
        return Pn532Frame(Pn532FrameKind.ACK), start + 4
    if head == b"\xff\x00":
        return Pn532Frame(Pn532FrameKind.NACK), start + 4
    if head == b"\xff\xff":
        ext = buf[start + 4 : start + 7]
        if len(ext) < 3:
            return None, start
        length, lcs_ok, header = ext[0] << 8 | ext[1], sum(ext) & 0xFF == 0, 5
    else:
        length, lcs_ok, header = head[0], sum(head) & 0xFF == 0, 2
    if not lcs_ok or not 0 < length <= MAX_DATA:
        return Rejected("PN532 bad length checksum", buf[start : start + 2 + header], checksum=True), start + 2
    end = start + 2 + header + length + 1
    if len(buf) < end:
        return None, start
    body = buf[start + 2 + header : end - 1]
    if (sum(body) + buf[end - 1]) & 0xFF:
        # Only the header is shown: the body may hold a card UID.
        return Rejected("PN532 bad data checksum", buf[start : start + 2 + header], checksum=True), start + 2
    if body[0] == ERROR_TFI:
        return Pn532Frame(Pn532FrameKind.ERROR, ERROR_TFI), end
    return Pn532Frame(Pn532FrameKind.DATA, body[0], body[1:]), end


def parse_target(data: bytes) -> str | None:
    """UID from an InListPassiveTarget reply (after its 4B code); None when no card answered.

    Layout: NbTg, Tg, ATQA (2), SAK, UID length, UID, then ATS for ISO 14443-4 cards.
    """
    if not data:
        raise FramingError("PN532 InListPassiveTarget reply is empty")
    if data[0] == 0:
        return None
    if len(data) < 6 or data[5] not in UID_LENGTHS or len(data) < 6 + data[5]:
        raise FramingError(f"PN532 malformed target data [{data.hex(' ')}]")
    return data[6 : 6 + data[5]].hex().upper()


class Pn532Config(SerialReaderConfig):
    type: Literal["pn532"] = "pn532"
    baud: int = Field(default=115200, gt=0)
    passive_activation_retries: int = Field(
        default=0x20, ge=0, le=0xFE, description="MxRtyPassiveActivation; 0xFF (retry forever) is refused"
    )
    ack_timeout_s: float = Field(default=0.2, gt=0, le=5)
    response_timeout_s: float = Field(default=1.0, gt=0, le=10, description="longer than one poll of the chip")
    nack_retries: int = Field(default=2, ge=0, le=5, description="NACKs sent for a damaged reply")
    poll_interval_s: float = Field(default=0.0, ge=0, le=1, description="pause between empty polls")
    debounce_s: float = Field(default=1.0, ge=0, le=60, description="a card held on the antenna reads once")


class _NoAck(ReaderError):
    """The chip did not acknowledge, or answered with its error frame."""


class Pn532Reader(CardReader):
    """Polls with InListPassiveTarget (1 target, 106 kbps type A).

    Faults: a damaged reply (bad LCS/DCS, cut short) is NACKed up to
    ``nack_retries`` times, then ChecksumError / FramingError. No ACK, an error
    frame or no reply re-runs wakeup + SAMConfiguration, then raises
    ReaderError (saying whether the chip came back). ``read()`` may overrun its
    timeout by one poll, which the finite MxRtyPassiveActivation bounds. The
    chip reports a card on every poll while it stays on the antenna, so repeats
    within ``debounce_s`` of the last sighting are suppressed.
    """

    type_key: ClassVar[str] = "pn532"

    def __init__(self, cfg: Pn532Config, clock: Callable[[], float] = time.monotonic) -> None:
        self._cfg = cfg
        self._debouncer = Debouncer(cfg.debounce_s, clock)
        self._link = SerialLink(cfg.port, cfg.baud)
        self._frames = FrameStream(self._link, decode, _IDLE_S, partial=lambda rest: len(rest) > 1)
        self._ready = False
        self.firmware: bytes | None = None  # IC, Ver, Rev, Support from GetFirmwareVersion

    def read(self, timeout: float) -> CardRead | None:
        deadline = time.monotonic() + timeout
        if not self._ready:
            self._initialise()
        while True:
            uid = parse_target(self._command(IN_LIST_PASSIVE_TARGET, b"\x01\x00", self._cfg.response_timeout_s))
            if uid is not None and self._debouncer.accept(uid):
                return CardRead(kind=CardKind.MIFARE, uid=uid)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if self._cfg.poll_interval_s:
                time.sleep(min(self._cfg.poll_interval_s, remaining))  # rate limit, not a wait for an event

    def close(self) -> None:
        self._link.close()

    def _initialise(self) -> None:
        """Wakeup, SAMConfiguration (normal mode), firmware check, finite passive retries."""
        self._ready = False
        timeout = self._cfg.response_timeout_s
        try:
            self._link.write(WAKEUP)
            self._exchange(SAM_CONFIGURATION, b"\x01", timeout)
            self.firmware = self._exchange(GET_FIRMWARE_VERSION, b"", timeout)
            retries = bytes([0x05, 0xFF, 0x01, self._cfg.passive_activation_retries])
            self._exchange(RF_CONFIGURATION, retries, timeout)
        except _NoAck as exc:
            raise ReaderError(f"PN532 离线 / PN532 offline: {exc}") from exc
        self._ready = True

    def _command(self, code: int, params: bytes, timeout: float) -> bytes:
        try:
            return self._exchange(code, params, timeout)
        except _NoAck as exc:
            self._initialise()  # raises "offline" if the chip stays silent
            raise ReaderError(f"PN532 command {code:#04x} failed ({exc}); chip re-initialised") from exc

    def _exchange(self, code: int, params: bytes, timeout: float) -> bytes:
        """Command, ACK, response; returns the response's PD after its code byte."""
        self._frames.clear()
        self._link.write(encode_frame(HOST_TFI, bytes([code]) + params))
        self._await_ack()
        return self._await_response(code + 1, timeout)

    def _await_ack(self) -> None:
        deadline = time.monotonic() + self._cfg.ack_timeout_s
        while True:
            item = self._frames.next(deadline)
            if item is None:
                raise _NoAck("no ACK")
            if isinstance(item, Rejected):
                continue  # junk ahead of the ACK: the decoder already resynced
            if item.kind is Pn532FrameKind.ERROR:
                raise _NoAck("error frame instead of ACK")
            if item.kind is Pn532FrameKind.ACK:
                return

    def _await_response(self, code: int, timeout: float) -> bytes:
        nacks = 0
        deadline = time.monotonic() + timeout
        while True:
            item = self._frames.next(deadline)
            if item is None:
                raise _NoAck(f"no response {code:#04x}")
            if isinstance(item, Rejected):
                if nacks >= self._cfg.nack_retries:
                    raise item.error()
                nacks += 1
                self._frames.clear()
                self._link.write(NACK)  # the chip sends its last response again
                deadline = time.monotonic() + timeout
            elif item.kind is Pn532FrameKind.ERROR:
                raise _NoAck("error frame")
            elif item.kind is Pn532FrameKind.DATA and item.tfi == CHIP_TFI and item.data[:1] == bytes([code]):
                return item.data[1:]
