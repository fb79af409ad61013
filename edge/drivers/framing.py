"""Pieces shared by the framing functions and drivers: rejected frames and tag debouncing.

A ``decode()`` returns :class:`Rejected` beside its valid frames for bytes that
started a frame but did not complete a valid one. The decoder has already
resynchronised past them, so a driver may report the rejection and carry on
with the bytes that follow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from edge.errors import ChecksumError, FramingError

_SHOWN_BYTES = 32  # enough to diagnose a frame; a 1295-byte ID-card reply would flood a log line


@dataclass(frozen=True, slots=True)
class Rejected:
    """Bytes that began a frame but were not a valid one, and why."""

    reason: str
    raw: bytes = b""
    checksum: bool = False  # the frame was complete but its checksum or parity did not match

    def describe(self) -> str:
        """The reason and the first bytes, for an exception message."""
        shown = self.raw[:_SHOWN_BYTES].hex(" ")
        more = " …" if len(self.raw) > _SHOWN_BYTES else ""
        return f"{self.reason} [{shown}{more}]" if self.raw else self.reason

    def error(self) -> FramingError:
        """The exception a card reader raises for this rejection (ChecksumError for a checksum mismatch)."""
        return ChecksumError(self.describe()) if self.checksum else FramingError(self.describe())


class Debouncer:
    """Suppresses a card that keeps being reported while it stays in the field.

    The window slides: every repeat of the same key pushes it forward, so a
    card held on the reader yields one read, and it reads again only after it
    has been away (or silent) for ``window_s``. A different card reads at once.
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if window_s < 0:
            raise ValueError("debounce window must not be negative")
        self._window_s = window_s
        self._clock = clock
        self._last_key: str | None = None
        self._last_seen = 0.0

    def accept(self, key: str) -> bool:
        """Record one sighting of ``key``; true if it is a new read."""
        now = self._clock()
        repeat = key == self._last_key and now - self._last_seen < self._window_s
        self._last_key, self._last_seen = key, now
        return not repeat
