"""A PN532 on HSU: answers host commands as the chip does (ACK, then the response).

It sleeps until it hears the ``55 55`` wakeup, answers GetFirmwareVersion,
SAMConfiguration and RFConfiguration, and holds an InListPassiveTarget until a
card is tapped or its MxRtyPassiveActivation retries run out ("no card").
A host ACK aborts a pending poll; a host NACK repeats the last response.

Host frames are cut by this module's own parser, written from the NXP user
manual (UM0701, section 6.2) and independent of the driver under test:
``00 00 FF LEN LCS TFI PD.. DCS 00`` (normal), ``00 00 FF FF FF LENM LENL LCS
TFI PD.. DCS 00`` (extended), ACK ``00 00 FF 00 FF 00``, NACK ``00 00 FF FF 00
00``. The preamble is optional (some hosts send only the ``00 FF`` start code),
so frames are found by their start code; the postamble is not required. The
chip drops a frame with a bad LCS or DCS without a word and looks for the next
start code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from firmware_mocks.readers.base import COMMON_FAULTS, ReaderMock
from firmware_mocks.readers.splitter import FrameSplitter

START_CODE = b"\x00\xff"
ACK = bytes.fromhex("00 00 FF 00 FF 00")
ERROR_FRAME = bytes.fromhex("00 00 FF 01 FF 7F 81 00")
FIRMWARE = bytes.fromhex("32 01 06 07")  # PN532, firmware 1.6, supports ISO 14443A/B and 18092
ATTEMPT_S = 0.005  # modelled time of one passive activation attempt
WAKEUP = b"\x55\x55"
HOST_TFI = 0xD4
MAX_INFO = 265  # TFI + PD the firmware accepts in one frame (UM0701: 264 bytes of PD)
# ATQA and SAK by UID size: single (MIFARE Classic 1K), double (Ultralight), triple (ISO 14443-4, with ATS)
_TARGET_INFO = {
    4: (b"\x00\x04", 0x08, b""),
    7: (b"\x00\x44", 0x00, b""),
    10: (b"\x00\x84", 0x20, b"\x06\x75\x77\x81\x02\x80"),
}


@dataclass(frozen=True, slots=True)
class HostAck:
    """ACK from the host: aborts the command in progress."""


@dataclass(frozen=True, slots=True)
class HostNack:
    """NACK from the host: asks for the last response again."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    """An information frame (normal or extended): its TFI and packet data."""

    tfi: int
    pd: bytes


HostFrame = HostAck | HostNack | HostInfo


def cut_host_frame(buf: bytes) -> tuple[HostFrame | None, int] | None:
    """The frame whose ``00 FF`` start code opens ``buf``, as a :class:`FrameSplitter` cut.

    None while it is incomplete; ``(None, 2)`` drops a frame with a bad LCS,
    impossible length or bad DCS, so the search resumes right after its start code.
    """
    if len(buf) < 4:
        return None
    len_lcs = (buf[2], buf[3])
    if len_lcs == (0x00, 0xFF):
        return HostAck(), 4
    if len_lcs == (0xFF, 0x00):
        return HostNack(), 4
    if len_lcs == (0xFF, 0xFF):  # extended frame: LENM LENL LCS follow
        if len(buf) < 7:
            return None
        length_bytes, info_at = buf[4:7], 7
        length = buf[4] * 0x100 + buf[5]
    else:
        length_bytes, info_at = buf[2:4], 4
        length = buf[2]
    if sum(length_bytes) % 0x100 != 0 or not 1 <= length <= MAX_INFO:
        return None, len(START_CODE)
    dcs_at = info_at + length
    if len(buf) <= dcs_at:
        return None
    info = buf[info_at:dcs_at]
    if (sum(info) + buf[dcs_at]) % 0x100 != 0:
        return None, len(START_CODE)
    return HostInfo(info[0], info[1:]), dcs_at + 1


def host_frame_splitter() -> FrameSplitter[HostFrame]:
    """The chip's receive buffer for what a host writes."""
    return FrameSplitter(START_CODE, cut_host_frame)


def encode_frame(tfi: int, data: bytes) -> bytes:
    """``00 00 FF LEN LCS TFI PD.. DCS 00``."""
    body = bytes([tfi]) + data
    if len(body) > 0xFF:
        raise ValueError("the mock sends normal frames only")
    return b"\x00\x00\xff" + bytes([len(body), -len(body) & 0xFF]) + body + bytes([-sum(body) & 0xFF, 0])


def encode_target(uid: bytes) -> bytes:
    """InListPassiveTarget response PD for one card: 4B, NbTg, Tg, ATQA, SAK, UID length, UID, ATS."""
    atqa, sak, ats = _TARGET_INFO[len(uid)]
    return b"\x4b\x01\x01" + atqa + bytes([sak, len(uid)]) + uid + ats


class Pn532Mock(ReaderMock[bytes]):
    kind: ClassVar[str] = "pn532"
    faults: ClassVar[frozenset[str]] = COMMON_FAULTS | {"error_frame", "no_ack"}

    def __init__(self, link: str | None = None, variant: str | None = None) -> None:
        super().__init__(link, variant)
        self._power_on()

    def _power_on(self) -> None:
        self._rx = host_frame_splitter()
        self._last_byte = b""  # a wakeup's two 55s may come in separate writes
        self._awake = False
        self._card: bytes | None = None
        self._poll: int | None = None  # timer of a held InListPassiveTarget
        self._last_response: bytes | None = None
        self._mx_rty = 0xFF
        self._mute = 0  # commands to ignore (no ACK)
        self._error_frames = 0  # commands to answer with the error frame

    def make_card(self, uid: str, **fields: Any) -> bytes:
        if fields:
            raise ValueError(f"PN532 cards carry only a UID, not {sorted(fields)}")
        raw = bytes.fromhex(uid)
        if len(raw) not in _TARGET_INFO:
            raise ValueError(f"UID of {len(raw)} bytes; ISO 14443A UIDs have 4, 7 or 10")
        return raw

    def on_tap(self, card: bytes) -> None:
        self._card = card
        if self._poll is not None:
            self._answer_poll()

    def on_fault(self, fault: str) -> None:
        if fault == "no_ack":
            self._mute += 1
        elif fault == "error_frame":
            self._error_frames += 1
        else:
            super().on_fault(fault)
            if fault in {"unplug", "replug"}:
                self._power_on()  # the chip is powered from the USB-serial adapter

    def corrupt(self, frame: bytes) -> bytes:
        if len(frame) < 8:
            return frame
        return frame[:-2] + bytes([frame[-2] ^ 0x5A]) + frame[-1:]  # DCS

    def on_host_bytes(self, data: bytes) -> None:
        if WAKEUP in self._last_byte + data:
            self._awake = True
        self._last_byte = data[-1:] or self._last_byte
        for frame in self._rx.feed(data):  # damaged host frames are already dropped, as the chip does
            self._on_frame(frame)

    def _on_frame(self, frame: HostFrame) -> None:
        if isinstance(frame, HostAck):
            self.cancel(self._poll)  # a host ACK aborts the command in progress
            self._poll = None
        elif isinstance(frame, HostNack):
            if self._last_response is not None:
                self.transmit(self._last_response)
        elif frame.tfi == HOST_TFI and frame.pd and self._awake:
            self._on_command(frame.pd[0], frame.pd[1:])

    def _on_command(self, code: int, params: bytes) -> None:
        if self._mute:
            self._mute -= 1
            return
        if self._error_frames:
            self._error_frames -= 1
            self.transmit(ERROR_FRAME, faultable=False)
            return
        self.transmit(ACK, faultable=False)
        if code == 0x02:
            self._respond(b"\x03" + FIRMWARE)
        elif code == 0x14:
            self._respond(b"\x15")
        elif code == 0x32:
            if params[:1] == b"\x05" and len(params) >= 4:
                self._mx_rty = params[3]
            self._respond(b"\x33")
        elif code == 0x4A:
            self._start_poll()
        else:
            self.transmit(ERROR_FRAME, faultable=False)

    def _start_poll(self) -> None:
        self.cancel(self._poll)
        self._poll = -1  # held; replaced by the timer below unless retries are infinite
        if self._card is not None:
            self._answer_poll()
        elif self._mx_rty != 0xFF:
            self._poll = self.after((self._mx_rty + 1) * ATTEMPT_S, self._answer_poll)

    def _answer_poll(self) -> None:
        self.cancel(self._poll)
        self._poll = None
        card, self._card = self._card, None
        self._respond(encode_target(card) if card is not None else b"\x4b\x00")

    def _respond(self, pd: bytes) -> None:
        self._last_response = encode_frame(0xD5, pd)
        self.transmit(self._last_response)
