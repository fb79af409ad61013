"""A device's receive buffer: cuts the bytes a host writes into the frames of one protocol.

Every frame of the protocol opens with a start marker. Bytes ahead of a marker
are line noise and are skipped. From a marker on, the protocol's ``cut``
function decides: ``None`` while the frame is still arriving (the bytes are
kept for the next write), or the item the bytes make (``None`` to drop them)
and how many bytes it consumed. A damaged frame should consume only its
marker, so a good frame hidden behind a false start is still found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FrameSplitter(Generic[T]):
    """Accumulates host bytes across writes and returns the complete frames found in them."""

    def __init__(self, marker: bytes, cut: Callable[[bytes], tuple[T | None, int] | None]) -> None:
        if not marker:
            raise ValueError("a frame marker cannot be empty")
        self._marker = marker
        self._cut = cut
        self._pending = b""

    @property
    def pending(self) -> bytes:
        """Bytes kept for the next write: an incomplete frame, or what may be the start of a marker."""
        return self._pending

    def feed(self, data: bytes) -> list[T]:
        buf = self._pending + data
        items: list[T] = []
        pos = 0
        while (start := buf.find(self._marker, pos)) >= 0:
            outcome = self._cut(buf[start:])
            if outcome is None:
                self._pending = buf[start:]
                return items
            item, used = outcome
            if item is not None:
                items.append(item)
            pos = start + max(used, 1)
        self._pending = self._marker_start(buf[pos:])
        return items

    def _marker_start(self, rest: bytes) -> bytes:
        """The longest end of ``rest`` that could be the first bytes of a marker."""
        for size in range(min(len(self._marker) - 1, len(rest)), 0, -1):
            if rest.endswith(self._marker[:size]):
                return rest[-size:]
        return b""
