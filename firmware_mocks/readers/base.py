"""The common machinery of the device mocks: a pty served by one background thread, taps and faults.

:class:`DeviceMock` is any serial device on a pty (the card readers, the
fingerprint module); :class:`ReaderMock` adds the card tap. All device state
lives in the mock's own thread. ``tap()``, ``inject()`` and a family's own
commands hand that thread a command and return once it has run, so a caller
knows the bytes are on the line (or the card is in the field) when they return.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import select
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from firmware_mocks.pty_link import PtyLink

logger = logging.getLogger(__name__)

C = TypeVar("C")

# Faults every mock understands. The transmission faults hit the next frame the
# device sends (one frame per inject); the others act at once.
TRANSMISSION_FAULTS = frozenset({"bad_checksum", "truncated", "slow"})
COMMON_FAULTS = TRANSMISSION_FAULTS | {"garbage", "unplug", "replug"}
SLOW_GAP_S = 0.002  # between bytes of a "slow" frame: one byte per driver read
_CALL_TIMEOUT_S = 5.0


class DeviceMock:
    """A serial device on a pseudo-terminal. ``port`` is what a driver opens; families subclass it.

    A family whose devices differ in what they send names its ``variants``
    (the first is the default); ``variant`` picks one.
    """

    kind: ClassVar[str]
    faults: ClassVar[frozenset[str]] = COMMON_FAULTS
    junk: ClassVar[bytes] = b"\xde\xad\xbe\xef\x55\x7e\x00\x13"  # no sync sequence of any family
    variants: ClassVar[tuple[str, ...]] = ()

    def __init__(self, link: str | None = None, variant: str | None = None) -> None:
        if variant is not None and variant not in self.variants:
            known = ", ".join(self.variants) or "none"
            raise ValueError(f"{self.kind} mock has no variant {variant!r}; known: {known}")
        self.variant = variant or (self.variants[0] if self.variants else "")
        self._pty = PtyLink(link)
        self._commands: queue.SimpleQueue[tuple[Callable[[], None], _Result]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        self._timers: dict[int, tuple[float, Callable[[], object]]] = {}
        self._timer_ids = itertools.count()
        self._pending_faults: deque[str] = deque()
        self._thread: threading.Thread | None = None
        self._stopping = False

    @property
    def port(self) -> str:
        return self._pty.path

    def start(self) -> None:
        self._pty.open()
        self._thread = threading.Thread(target=self._serve, name=f"mock-{self.kind}", daemon=True)
        self._thread.start()

    def inject(self, fault: str) -> None:
        """Apply a fault: one of ``faults`` (see module docstring)."""
        if fault not in self.faults:
            raise ValueError(f"{self.kind} mock has no fault {fault!r}; known: {sorted(self.faults)}")
        self._call(lambda: self.on_fault(fault))

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._call(self._stop)
            self._thread.join(_CALL_TIMEOUT_S)
        self._pty.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:  # close() may be called twice
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> Self:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- what a family defines -------------------------------------------------

    def on_host_bytes(self, data: bytes) -> None:
        """Bytes the driver sent (mock thread); devices that only transmit ignore them."""

    def corrupt(self, frame: bytes) -> bytes:
        """The frame with a wrong checksum (or parity)."""
        raise ValueError(f"{self.kind} frames carry no checksum")

    def on_fault(self, fault: str) -> None:
        """Apply a fault (mock thread); families extend this for their own faults."""
        if fault in TRANSMISSION_FAULTS:
            self._pending_faults.append(fault)
        elif fault == "garbage":
            self._pty.write(self.junk)
        elif fault == "unplug":
            self._pty.close()
            self._timers.clear()
        elif fault == "replug" and not self._pty.is_open:
            self._pty.open()

    # --- services for families ---------------------------------------------------

    def transmit(self, frame: bytes, faultable: bool = True) -> bool:
        """Send one frame, applying the next pending transmission fault; true if it went out intact."""
        fault = self._pending_faults.popleft() if faultable and self._pending_faults else None
        if fault == "bad_checksum":
            frame = self.corrupt(frame)
        elif fault == "truncated":
            frame = frame[: max(1, len(frame) // 2)]
        if fault == "slow":
            for byte in frame:
                self._pty.write(bytes([byte]))
                time.sleep(SLOW_GAP_S)  # the mock's own pacing, not a wait for anything
        else:
            self._pty.write(frame)
        return fault is None

    def after(self, delay_s: float, action: Callable[[], object]) -> int:
        """Run ``action`` in the mock thread after ``delay_s``; returns a handle for ``cancel``."""
        handle = next(self._timer_ids)
        self._timers[handle] = (time.monotonic() + delay_s, action)
        return handle

    def cancel(self, handle: int | None) -> None:
        if handle is not None:
            self._timers.pop(handle, None)

    # --- the thread ----------------------------------------------------------------

    def _call(self, action: Callable[[], None]) -> None:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError(f"{self.kind} mock is not running")
        result = _Result()
        self._commands.put((action, result))
        os.write(self._wake_w, b"!")
        if not result.done.wait(_CALL_TIMEOUT_S):
            raise TimeoutError(f"{self.kind} mock did not answer")
        if result.error is not None:
            raise result.error

    def _stop(self) -> None:
        self._stopping = True

    def _serve(self) -> None:
        try:
            while not self._stopping:
                self._serve_once()
        except Exception:  # the thread's top: report, and stop serving
            logger.exception("%s mock stopped", self.kind)

    def _serve_once(self) -> None:
        due = min((at for at, _ in self._timers.values()), default=None)
        timeout = None if due is None else max(0.0, due - time.monotonic())
        fds = [self._wake_r] if self._pty.master is None else [self._wake_r, self._pty.master]
        readable, _, _ = select.select(fds, [], [], timeout)
        if self._wake_r in readable:
            os.read(self._wake_r, 4096)
            self._run_commands()
        if self._pty.master is not None and self._pty.master in readable and (data := self._pty.read()):
            self.on_host_bytes(data)
        now = time.monotonic()
        for handle, (at, action) in sorted(self._timers.items(), key=lambda item: item[1][0]):
            if at <= now and self._timers.pop(handle, None) is not None:
                action()

    def _run_commands(self) -> None:
        while True:
            try:
                action, result = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                action()
            except (ValueError, OSError) as exc:  # handed back to the caller of tap()/inject()
                result.error = exc
            result.done.set()


class ReaderMock(DeviceMock, ABC, Generic[C]):
    """A card reader on a pseudo-terminal: a device that cards are tapped on."""

    def tap(self, uid: str, **fields: Any) -> None:
        """Present one card; raises ValueError for a UID or field this reader cannot carry."""
        card = self.make_card(uid, **fields)
        self._call(lambda: self.on_tap(card))

    @abstractmethod
    def make_card(self, uid: str, **fields: Any) -> C:
        """Validate a tap in the caller's thread."""

    @abstractmethod
    def on_tap(self, card: C) -> None:
        """Present the card (mock thread)."""


class _Result:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: Exception | None = None
