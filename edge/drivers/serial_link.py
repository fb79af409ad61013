"""The serial port under every reader driver, and the buffer that turns its bytes into frames.

Ports are pyserial URLs (``/dev/ttyUSB0``, a pty path, ``socket://``,
``rfc2217://``, ``loop://``). Every pyserial or OS failure surfaces as one
exception, chained to its cause (:class:`ReaderDisconnected` for card readers,
the device's own class for others), because for the pipeline they all mean the
same thing: close, back off, reopen.
"""

from __future__ import annotations

import contextlib
import termios
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import serial
from pydantic import BaseModel, ConfigDict, Field

from edge.drivers.framing import Rejected
from edge.errors import DriverError, ReaderDisconnected

# The port's own read timeout. Reads loop on it until the caller's deadline
# instead of re-setting ``timeout`` per call: on rfc2217:// that setter sends
# a settings change over the network.
_POLL_S = 0.02
_WRITE_TIMEOUT_S = 1.0

F = TypeVar("F")


class SerialLink:
    """An open serial port; raises ``disconnected`` (ReaderDisconnected) for anything the port or OS reports."""

    def __init__(self, url: str, baud: int, disconnected: type[DriverError] = ReaderDisconnected) -> None:
        self.url = url
        self._disconnected = disconnected
        try:
            self._port = serial.serial_for_url(url, baudrate=baud, timeout=_POLL_S, write_timeout=_WRITE_TIMEOUT_S)
        except (serial.SerialException, OSError) as exc:
            raise disconnected(f"cannot open {url}: {exc}") from exc
        # A ValueError (unknown URL scheme, impossible baud) is a configuration mistake: it propagates.

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        # flush() is tcdrain(), which raises termios.error (not an OSError) for a pty or USB port gone away.
        except (serial.SerialException, OSError, termios.error) as exc:
            raise self._disconnected(f"write to {self.url} failed: {exc}") from exc

    def read_some(self, deadline: float) -> bytes:
        """Whatever arrives first, waiting until ``deadline`` (monotonic); b"" if nothing came."""
        try:
            while True:
                first: bytes = self._port.read(1)
                if first:
                    return first + bytes(self._port.read(self._port.in_waiting))
                if time.monotonic() >= deadline:
                    return b""
        except (serial.SerialException, OSError) as exc:
            raise self._disconnected(f"read from {self.url} failed: {exc}") from exc

    def discard_input(self) -> None:
        """Drop bytes received but not read yet (a late reply to a command already given up on)."""
        try:
            self._port.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as exc:
            raise self._disconnected(f"flush of {self.url} failed: {exc}") from exc

    def close(self) -> None:
        # An unplugged port may fail to close; it is gone either way, which is what close() wants.
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.close()


class FrameStream(Generic[F]):
    """Bytes from a link, decoded into frames one at a time.

    A frame left half-received for ``idle_s`` is given up as truncated
    (``partial`` says whether left-over bytes are a started frame): otherwise
    a cut frame would hold back, or merge with, the next one.
    """

    def __init__(
        self,
        link: SerialLink,
        decode: Callable[[bytes], tuple[list[F | Rejected], bytes]],
        idle_s: float,
        partial: Callable[[bytes], bool] = bool,
    ) -> None:
        self._link = link
        self._decode = decode
        self._idle_s = idle_s
        self._partial = partial
        self._buf = b""
        self._pending: deque[F | Rejected] = deque()

    def next(self, deadline: float) -> F | Rejected | None:
        """The next frame or rejection, or None once ``deadline`` passes with nothing new."""
        last_rx = time.monotonic()
        while not self._pending:
            now = time.monotonic()
            if self._buf and now - last_rx >= self._idle_s:
                # Left-overs that only might begin a frame (a lone sync byte, a skip marker) go quietly.
                stale, self._buf = self._buf, b""
                if self._partial(stale):
                    return Rejected("frame cut short (no more bytes came)", stale)
            if now >= deadline:
                return None
            wait_until = min(deadline, last_rx + self._idle_s) if self._buf else deadline
            chunk = self._link.read_some(wait_until)
            if chunk:
                last_rx = time.monotonic()
                frames, self._buf = self._decode(self._buf + chunk)
                self._pending.extend(frames)
        return self._pending.popleft()

    def clear(self) -> None:
        """Forget buffered bytes and frames (before asking the device to send again)."""
        self._buf = b""
        self._pending.clear()


class SerialReaderConfig(BaseModel):
    """What every serial reader's config has: the port URL (and, per family, ``baud``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: str = Field(min_length=1, description="device path, pty path or pyserial URL (socket://, rfc2217://)")
