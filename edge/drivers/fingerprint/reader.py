"""The R30x / AS608 fingerprint module driver: one typed method per command, with timeouts.

Pull-based and thread-free like the card readers: each method sends one
command packet and waits for its acknowledge (``reply_timeout_s``). A
confirmation code other than 00 raises its named FingerprintRefused subclass
(NoFingerError, NoMatchError, WrongPasswordError, ...) with the module's
meaning in Chinese and English; silence raises FingerprintTimeout, a damaged
reply FingerprintPacketError, an unplugged port FingerprintDisconnected. A
template transfer that stops half-way raises FingerprintTimeout after
``packet_gap_s`` of silence, saying how much arrived: never a hang.
"""

from __future__ import annotations

import math
import time
from types import TracebackType
from typing import ClassVar, Literal, Self

from pydantic import Field, field_validator

from edge.drivers.fingerprint.codec import (
    BAD_HEAD,
    DEFAULT_ADDRESS,
    HEADER,
    INDEX_PAGE_BITS,
    Command,
    FpPacket,
    Pid,
    SystemParameters,
    confirmation,
    decode,
    encode_command,
    encode_data,
    parse_index_table,
    parse_system_parameters,
)
from edge.drivers.framing import Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from edge.errors import (
    BadPageError,
    CombineFailedError,
    FingerNotFoundError,
    FingerprintDisconnected,
    FingerprintPacketError,
    FingerprintRefused,
    FingerprintTimeout,
    NoFingerError,
    NoMatchError,
    PoorImageError,
    WrongPasswordError,
)

_IDLE_S = 0.1  # a 267-byte packet takes 46 ms at 57600 baud; this much silence inside one means it was cut
_MAX_TRANSFER = 4096  # a template is 512 bytes; more is a module (or line) gone wrong, not a bigger template
_ERRORS: dict[int, type[FingerprintRefused]] = {
    0x02: NoFingerError,
    **dict.fromkeys((0x03, 0x04, 0x05, 0x06, 0x07, 0x15, 0x17), PoorImageError),
    0x08: NoMatchError,
    0x09: FingerNotFoundError,
    0x0A: CombineFailedError,
    0x0B: BadPageError,
    0x13: WrongPasswordError,
    0x21: WrongPasswordError,
}


class FingerprintConfig(SerialReaderConfig):
    type: Literal["as608"] = "as608"
    baud: int = Field(default=57600, description="9600 x N, N = 1..12 (the module's default N is 6)")
    address: int = Field(default=DEFAULT_ADDRESS, ge=0, le=0xFFFFFFFF, description="module address")
    password: int = Field(default=0, ge=0, le=0xFFFFFFFF, repr=False, description="checked by verify_password()")
    packet_size: Literal[32, 64, 128, 256] | None = Field(
        default=None, description="data packet size; None: read it from the module (ReadSysPara)"
    )
    reply_timeout_s: float = Field(default=2.0, gt=0, le=10, description="wait for one reply; an image takes < 1 s")
    packet_gap_s: float = Field(default=0.5, gt=0, le=5, description="silence that ends a template transfer")
    poll_interval_s: float = Field(default=0.05, ge=0, le=1, description="pause between GenImg awaiting a finger")

    @field_validator("baud")
    @classmethod
    def _multiple_of_9600(cls, baud: int) -> int:
        if baud % 9600 or not 1 <= baud // 9600 <= 12:
            raise ValueError("the module runs at 9600 x N baud, N = 1..12")
        return baud


class FingerprintReader:
    """A fingerprint module on a serial port. Not a CardReader: it answers commands, it reports no cards."""

    type_key: ClassVar[str] = "as608"

    def __init__(self, cfg: FingerprintConfig) -> None:
        self._cfg = cfg
        self._link = SerialLink(cfg.port, cfg.baud, FingerprintDisconnected)
        self._frames = FrameStream(self._link, decode, _IDLE_S, partial=lambda rest: rest.startswith(HEADER))
        self._params: SystemParameters | None = None

    def verify_password(self) -> None:
        """VfyPwd with the configured password; WrongPasswordError if the module refuses it."""
        self._command(Command.VfyPwd, self._cfg.password.to_bytes(4, "big"))

    def read_system_parameters(self) -> SystemParameters:
        """ReadSysPara; the answer is kept for the packet size and the capacity."""
        self._params = parse_system_parameters(self._command(Command.ReadSysPara))
        return self._params

    def parameters(self) -> SystemParameters:
        """The system parameters, read from the module once."""
        return self._params or self.read_system_parameters()

    def capture(self, buffer: int = 1, timeout: float = 0.0) -> None:
        """GenImg, then Img2Tz into ``buffer``; waits up to ``timeout`` s for a finger, else NoFingerError."""
        params = _buffer(buffer)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._command(Command.GenImg)
                break
            except NoFingerError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(self._cfg.poll_interval_s, remaining))  # the rate of asking, not a wait for an event
        self._command(Command.Img2Tz, params)

    def finger_present(self) -> bool:
        """GenImg once: True when a finger was on the sensor (its image is taken), False when none."""
        try:
            self._command(Command.GenImg)
        except NoFingerError:
            return False
        return True

    def match(self) -> int:
        """Match buffer 1 against buffer 2: the score, or NoMatchError below the module's threshold."""
        return _word_at(self._command(Command.Match), 0, Command.Match)

    def search(self, start: int = 0, count: int | None = None, buffer: int = 1) -> tuple[int, int]:
        """Search ``buffer`` in library pages ``start`` .. ``start + count - 1`` (default: to the end).

        Returns (page, score); FingerNotFoundError when nothing matches.
        """
        count = self.parameters().capacity - start if count is None else count
        params = _buffer(buffer) + _word(start, "start page") + _word(count, "page count")
        reply = self._command(Command.Search, params)
        return _word_at(reply, 0, Command.Search), _word_at(reply, 2, Command.Search)

    def register_model(self) -> None:
        """RegModel: combine buffers 1 and 2 into a template (in both); CombineFailedError if they differ."""
        self._command(Command.RegModel)

    def store(self, buffer: int, page: int) -> None:
        self._command(Command.Store, _buffer(buffer) + _word(page, "page"))

    def load(self, buffer: int, page: int) -> None:
        """LoadChar: the template at ``page`` into ``buffer``."""
        self._command(Command.LoadChar, _buffer(buffer) + _word(page, "page"))

    def upload(self, buffer: int) -> bytes:
        """UpChar: the template in ``buffer``, as the module sends it (512 bytes on R30x modules)."""
        self._command(Command.UpChar, _buffer(buffer))
        return self._receive_data(f"UpChar {buffer}")

    def download(self, buffer: int, template: bytes) -> None:
        """DownChar: ``template`` into ``buffer``, in data packets of the module's packet size."""
        params = _buffer(buffer)
        # Encoded before the command: reading the packet size is a command of its own.
        packets = encode_data(template, self._packet_size(), self._cfg.address)
        self._command(Command.DownChar, params)
        for packet in packets:  # the module acknowledges none of them
            self._link.write(packet)

    def delete(self, page: int, count: int = 1) -> None:
        """DeletChar: ``count`` templates from ``page`` on."""
        if count < 1:
            raise ValueError("delete at least one template")
        self._command(Command.DeletChar, _word(page, "page") + _word(count, "page count"))

    def empty(self) -> None:
        """Empty: delete every template in the library."""
        self._command(Command.Empty)

    def template_count(self) -> int:
        return _word_at(self._command(Command.TemplateNum), 0, Command.TemplateNum)

    def index_table(self) -> set[int]:
        """The library pages holding a template (ReadIndexTable over as many index pages as the capacity needs)."""
        capacity = self.parameters().capacity
        used: set[int] = set()
        for index_page in range(math.ceil(capacity / INDEX_PAGE_BITS)):
            used |= parse_index_table(index_page, self._command(Command.ReadIndexTable, bytes([index_page])))
        return {page for page in used if page < capacity}

    def close(self) -> None:
        self._link.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the exchange ------------------------------------------------------------

    def _packet_size(self) -> int:
        return self._cfg.packet_size or self.parameters().packet_size

    def _command(self, command: Command, params: bytes = b"") -> bytes:
        """Send ``command``; the acknowledge's results after a 00 confirmation, else its named error."""
        self._link.discard_input()  # a late reply to an earlier command must not pass for this one's
        self._frames.clear()
        self._link.write(encode_command(command, params, self._cfg.address))
        deadline = time.monotonic() + self._cfg.reply_timeout_s
        while True:
            reply = self._next(deadline, command.name)
            if reply.pid == Pid.ACK:
                break  # data packets before it are the rest of a transfer given up on
        if not reply.content:
            raise FingerprintPacketError(f"指纹模块应答为空 / empty acknowledge to {command.name}")
        code = reply.content[0]
        if code:
            meaning = confirmation(code)
            message = f"{meaning.zh} / {command.name}: {meaning.en} (confirmation code {code:#04x})"
            raise _ERRORS.get(code, FingerprintRefused)(message, code, meaning.name)
        return reply.content[1:]

    def _receive_data(self, what: str) -> bytes:
        """Data packets up to and including the end-of-data packet, joined."""
        chunks: list[bytes] = []
        received = 0
        while True:
            try:
                packet = self._next(time.monotonic() + self._cfg.packet_gap_s, what)
            except FingerprintTimeout as exc:
                raise FingerprintTimeout(
                    f"指纹模块传输中断 / {what}: the module stopped after {len(chunks)} data packet(s) "
                    f"({received} bytes), without an end-of-data packet"
                ) from exc
            if packet.pid not in (Pid.DATA, Pid.END):
                raise FingerprintPacketError(f"指纹模块数据包错误 / {what}: packet {packet.pid:#04x} amid the data")
            chunks.append(packet.content)
            received += len(packet.content)
            if received > _MAX_TRANSFER:
                raise FingerprintPacketError(f"指纹模块数据过长 / {what}: over {_MAX_TRANSFER} bytes")
            if packet.pid == Pid.END:
                return b"".join(chunks)

    def _next(self, deadline: float, what: str) -> FpPacket:
        """The next intact packet before ``deadline`` (monotonic).

        A false header in line noise is skipped (the reply may still follow);
        a packet with a bad checksum, or cut short, was the reply, and the
        module never sends one again, so it raises at once.
        """
        noise: Rejected | None = None
        while True:
            item = self._frames.next(deadline)
            if isinstance(item, FpPacket):
                return item
            if item is None:
                if noise is not None:
                    raise FingerprintPacketError(f"指纹模块数据包损坏 / {what}: {noise.describe()}")
                where = f"{self._cfg.port} at {self._cfg.baud} baud, address {self._cfg.address:#010x}"
                raise FingerprintTimeout(f"指纹模块无应答 / no reply to {what} ({where})")
            if item.reason != BAD_HEAD:
                raise FingerprintPacketError(f"指纹模块数据包损坏 / {what}: {item.describe()}")
            noise = item


def _buffer(buffer: int) -> bytes:
    if buffer not in (1, 2):
        raise ValueError(f"char buffer {buffer}: the module has buffers 1 and 2")
    return bytes([buffer])


def _word(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{what} {value} is outside 0..65535")
    return value.to_bytes(2, "big")


def _word_at(reply: bytes, offset: int, command: Command) -> int:
    if len(reply) < offset + 2:
        raise FingerprintPacketError(f"指纹模块应答过短 / {command.name} reply of {len(reply)} bytes")
    return int.from_bytes(reply[offset : offset + 2], "big")
