"""The fingerprint module itself: flash library, two char buffers, image buffer, password, faults.

RegModel keeps buffer 1 when buffer 2 matches it. The library survives
``unplug`` and ``replug``; the buffers, the image and the password check do
not. Faults: the common ones (see firmware_mocks.readers.base), and ``stall``
(the next UpChar stops after its first data packet), ``mute`` (the next
command gets no answer), ``poor_image`` (the next Img2Tz answers 07),
``noise`` (junk and a false header before the next packet). A host packet with
a bad checksum is answered with confirmation code 01; a packet for another
address is ignored; before VfyPwd, a module with a password answers 21.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from firmware_mocks.fingerprint.fingers import TEMPLATE_BYTES, THRESHOLD, capture_template, finger_template, match_score
from firmware_mocks.fingerprint.wire import (
    ACK,
    DATA,
    DEFAULT_ADDRESS,
    END,
    HEADER,
    DamagedPacket,
    HostPacket,
    cut_host_packet,
    encode_packet,
)
from firmware_mocks.readers.base import COMMON_FAULTS, DeviceMock
from firmware_mocks.readers.splitter import FrameSplitter

PACKET_SIZES = (32, 64, 128, 256)
SYSTEM_ID, SECURITY_LEVEL, BAUD_N = 0x0009, 3, 6
NOISE = b"\x13\x37\xef\x01\xff\xff\xff\xff\x55\x00\x03\x00\x00\x42"  # holds a header with identifier 55


class FingerprintMock(DeviceMock):
    kind: ClassVar[str] = "fingerprint"
    faults: ClassVar[frozenset[str]] = COMMON_FAULTS | {"stall", "mute", "poor_image", "noise"}

    def __init__(
        self,
        link: str | None = None,
        *,
        capacity: int = 300,
        password: int = 0,
        address: int = DEFAULT_ADDRESS,
        packet_size: int = 128,
    ) -> None:
        if packet_size not in PACKET_SIZES or not 1 <= capacity <= 1024:
            raise ValueError(f"packet size {packet_size} (32/64/128/256), capacity {capacity} (1..1024)")
        super().__init__(link)
        self.capacity, self.password, self.address, self.packet_size = capacity, password, address, packet_size
        self._library: dict[int, bytes] = {}  # flash: survives a power cycle
        self._finger: str | None = None
        self._captures = 0
        self._handlers: dict[int, Callable[[bytes], None]] = {
            0x01: self._gen_img, 0x02: self._img2tz, 0x03: self._match, 0x04: self._search,
            0x05: self._reg_model, 0x06: self._store, 0x07: self._load_char, 0x08: self._up_char,
            0x09: self._down_char, 0x0C: self._delet_char, 0x0D: self._empty, 0x0F: self._read_sys_para,
            0x13: self._vfy_pwd, 0x1D: self._template_num, 0x1F: self._read_index_table,
        }  # fmt: skip
        self._power_on()

    def _power_on(self) -> None:
        """RAM state: what a power cycle loses."""
        self._rx: FrameSplitter[HostPacket | DamagedPacket] = FrameSplitter(HEADER, cut_host_packet)
        self._image: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        self._verified = self.password == 0
        self._download: tuple[int, bytearray] | None = None
        self._pending = {"stall": 0, "mute": 0, "poor_image": 0, "noise": 0}

    # --- the test's side ---------------------------------------------------------

    def place(self, finger: str) -> None:
        """Put ``finger`` on the sensor; it stays there until ``lift()``."""
        if not finger.strip():
            raise ValueError("a finger needs an id")
        self._call(lambda: setattr(self, "_finger", finger.strip()))

    def lift(self) -> None:
        self._call(lambda: setattr(self, "_finger", None))

    def enrol(self, finger: str, page: int) -> None:
        """Store ``finger``'s template at ``page``, as if it had been enrolled before."""
        if not 0 <= page < self.capacity:
            raise ValueError(f"page {page} is outside 0..{self.capacity - 1}")
        self._call(lambda: self._library.__setitem__(page, finger_template(finger)))

    def library(self) -> dict[int, bytes]:
        """A copy of the stored templates by page."""
        copy: dict[int, bytes] = {}
        self._call(lambda: copy.update(self._library))
        return copy

    def on_fault(self, fault: str) -> None:
        if fault in self._pending:
            self._pending[fault] += 1
            return
        super().on_fault(fault)
        if fault == "replug":
            self._power_on()  # powered from the USB-serial adapter

    def corrupt(self, frame: bytes) -> bytes:
        return frame[:-1] + bytes([frame[-1] ^ 0x5A])

    # --- the module's side ---------------------------------------------------------

    def on_host_bytes(self, data: bytes) -> None:
        for packet in self._rx.feed(data):
            if isinstance(packet, DamagedPacket):
                self._download = None
                self._ack(0x01)
            elif packet.address != self.address:
                continue  # another module's
            elif packet.pid in (DATA, END):
                self._on_data(packet)
            else:
                self._download = None  # a command ends a download left unfinished
                self._on_command(packet.content[0], packet.content[1:])

    def _on_command(self, code: int, params: bytes) -> None:
        if self._take("mute"):
            return
        if not self._verified and code != 0x13:
            self._ack(0x21)  # the password must be verified first
            return
        handler = self._handlers.get(code)
        if handler is None:
            self._ack(0x01)
            return
        try:
            handler(params)
        except IndexError:  # parameters missing
            self._ack(0x01)

    def _take(self, fault: str) -> bool:
        if self._pending[fault]:
            self._pending[fault] -= 1
            return True
        return False

    def _send(self, pid: int, content: bytes) -> None:
        if self._take("noise"):
            self._pty.write(NOISE)
        self.transmit(encode_packet(pid, content, self.address))

    def _ack(self, code: int, results: bytes = b"") -> None:
        self._send(ACK, bytes([code]) + results)

    def _vfy_pwd(self, params: bytes) -> None:
        if len(params) < 4:
            raise IndexError
        if int.from_bytes(params[:4], "big") == self.password:
            self._verified = True
            self._ack(0x00)
        else:
            self._ack(0x13)

    def _read_sys_para(self, params: bytes) -> None:
        status = (0b0100 if self._verified else 0) | (0b1000 if self._image is not None else 0)
        fields = b"".join(_word(w) for w in (status, SYSTEM_ID, self.capacity, SECURITY_LEVEL))
        fields += self.address.to_bytes(4, "big") + _word(PACKET_SIZES.index(self.packet_size)) + _word(BAUD_N)
        self._ack(0x00, fields)

    def _gen_img(self, params: bytes) -> None:
        if self._finger is None:
            self._ack(0x02)
            return
        self._captures += 1
        self._image = capture_template(self._finger, self._captures)
        self._ack(0x00)

    def _img2tz(self, params: bytes) -> None:
        buffer = _buffer(params)
        if self._image is None:
            self._ack(0x15)
        elif self._take("poor_image"):
            self._ack(0x07)
        else:
            self._buffers[buffer] = self._image
            self._ack(0x00)

    def _match(self, params: bytes) -> None:
        score = match_score(self._buffers.get(1), self._buffers.get(2))
        self._ack(0x00 if score >= THRESHOLD else 0x08, _word(score))

    def _search(self, params: bytes) -> None:
        probe = self._buffers.get(_buffer(params))
        start, count = _word_in(params, 1), _word_in(params, 3)
        pages = [p for p in range(start, min(start + count, self.capacity)) if p in self._library]
        scored = [(match_score(probe, self._library[p]), p) for p in pages]
        score, page = max(scored, default=(0, 0), key=lambda s: (s[0], -s[1]))  # lowest page of the best
        if score >= THRESHOLD:
            self._ack(0x00, _word(page) + _word(score))
        else:
            self._ack(0x09, bytes(4))

    def _reg_model(self, params: bytes) -> None:
        first = self._buffers.get(1)
        if first is None or match_score(first, self._buffers.get(2)) < THRESHOLD:
            self._ack(0x0A)
            return
        self._buffers[1] = self._buffers[2] = first
        self._ack(0x00)

    def _store(self, params: bytes) -> None:
        template, page = self._buffers.get(_buffer(params)), _word_in(params, 1)
        if page >= self.capacity:
            self._ack(0x0B)
        elif template is None:
            self._ack(0x0C)  # the manual gives no code for an empty buffer; "template invalid" is nearest
        else:
            self._library[page] = template
            self._ack(0x00)

    def _load_char(self, params: bytes) -> None:
        buffer, page = _buffer(params), _word_in(params, 1)
        if page >= self.capacity:
            self._ack(0x0B)
        elif page not in self._library:
            self._ack(0x0C)
        else:
            self._buffers[buffer] = self._library[page]
            self._ack(0x00)

    def _up_char(self, params: bytes) -> None:
        template = self._buffers.get(_buffer(params))
        if template is None:
            self._ack(0x0D)
            return
        self._ack(0x00)
        chunks = [template[i : i + self.packet_size] for i in range(0, len(template), self.packet_size)]
        if self._take("stall"):
            self._send(DATA, chunks[0])  # then silence, as a module whose line breaks mid-transfer
            return
        for i, chunk in enumerate(chunks):
            self._send(END if i == len(chunks) - 1 else DATA, chunk)

    def _down_char(self, params: bytes) -> None:
        self._download = (_buffer(params), bytearray())
        self._ack(0x00)

    def _on_data(self, packet: HostPacket) -> None:
        if self._download is None:
            return  # data nobody asked for
        buffer, received = self._download
        received.extend(packet.content)
        if len(received) > 2 * TEMPLATE_BYTES:
            self._download = None  # more than any template: dropped, as the buffer would overflow
        elif packet.pid == END:
            self._buffers[buffer] = bytes(received)
            self._download = None

    def _delet_char(self, params: bytes) -> None:
        page, count = _word_in(params, 0), _word_in(params, 2)
        if count == 0 or page + count > self.capacity:
            self._ack(0x10)
            return
        for p in range(page, page + count):
            self._library.pop(p, None)
        self._ack(0x00)

    def _empty(self, params: bytes) -> None:
        self._library.clear()
        self._ack(0x00)

    def _template_num(self, params: bytes) -> None:
        self._ack(0x00, _word(len(self._library)))

    def _read_index_table(self, params: bytes) -> None:
        first = params[0] * 256
        bitmap = bytearray(32)
        for page in self._library:
            if first <= page < first + 256:
                bitmap[(page - first) // 8] |= 1 << (page - first) % 8
        self._ack(0x00, bytes(bitmap))


def _word(value: int) -> bytes:
    return value.to_bytes(2, "big")


def _word_in(params: bytes, at: int) -> int:
    if len(params) < at + 2:
        raise IndexError(at)
    return params[at] * 0x100 + params[at + 1]


def _buffer(params: bytes) -> int:
    if params[0] not in (1, 2):
        raise IndexError(params[0])  # answered as a bad packet, like missing parameters
    return params[0]
