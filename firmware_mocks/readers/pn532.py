"""A PN532 on HSU: answers host commands as the chip does (ACK, then the response).

It sleeps until it hears the ``55 55`` wakeup, answers GetFirmwareVersion,
SAMConfiguration and RFConfiguration, and holds an InListPassiveTarget until a
card is tapped or its MxRtyPassiveActivation retries run out ("no card").
A host ACK aborts a pending poll; a host NACK repeats the last response.
Host frames are parsed with the driver's ``decode``, the protocol's one
framing function; replies are built by this module's own ``encode_frame``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from edge.drivers.framing import Rejected
from edge.drivers.pn532 import Pn532Frame, Pn532FrameKind, decode
from firmware_mocks.readers.base import COMMON_FAULTS, ReaderMock

ACK = bytes.fromhex("00 00 FF 00 FF 00")
ERROR_FRAME = bytes.fromhex("00 00 FF 01 FF 7F 81 00")
FIRMWARE = bytes.fromhex("32 01 06 07")  # PN532, firmware 1.6, supports ISO 14443A/B and 18092
ATTEMPT_S = 0.005  # modelled time of one passive activation attempt
# ATQA and SAK by UID size: single (MIFARE Classic 1K), double (Ultralight), triple (ISO 14443-4, with ATS)
_TARGET_INFO = {
    4: (b"\x00\x04", 0x08, b""),
    7: (b"\x00\x44", 0x00, b""),
    10: (b"\x00\x84", 0x20, b"\x06\x75\x77\x81\x02\x80"),
}


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

    def __init__(self, link: str | None = None) -> None:
        super().__init__(link)
        self._power_on()

    def _power_on(self) -> None:
        self._rx = b""
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
        if b"\x55\x55" in self._rx[-1:] + data:
            self._awake = True
        frames, self._rx = decode(self._rx + data)
        for frame in frames:
            if not isinstance(frame, Rejected):  # the chip drops damaged host frames silently
                self._on_frame(frame)

    def _on_frame(self, frame: Pn532Frame) -> None:
        if frame.kind is Pn532FrameKind.ACK:
            self.cancel(self._poll)  # a host ACK aborts the command in progress
            self._poll = None
        elif frame.kind is Pn532FrameKind.NACK and self._last_response is not None:
            self.transmit(self._last_response)
        elif frame.kind is Pn532FrameKind.DATA and frame.tfi == 0xD4 and frame.data and self._awake:
            self._on_command(frame.data[0], frame.data[1:])

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
