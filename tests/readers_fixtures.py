"""Helpers shared by the reader tests: feeding a decoder in pieces, and mocks that always get closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from edge.drivers.framing import Rejected
from firmware_mocks.readers import ReaderMock, create_mock

F = TypeVar("F")

# Modest and reproducible: the fuzz tests must stay fast and must not flake in CI.
FUZZ = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def decode_in_pieces(
    decode: Callable[[bytes], tuple[list[F], bytes]], data: bytes, cuts: Sequence[int]
) -> tuple[list[F], bytes]:
    """Decode ``data`` delivered in pieces split at ``cuts``, carrying the rest as a driver does."""
    frames: list[F] = []
    rest = b""
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(data)}), len(data)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        found, rest = decode(rest + data[lo:hi])
        frames.extend(found)
    return frames, rest


def valid(frames: Sequence[object]) -> list[object]:
    return [f for f in frames if not isinstance(f, Rejected)]


@contextmanager
def running_mock(kind: str, link: str | None = None) -> Iterator[ReaderMock[Any]]:
    mock = create_mock(kind, link)
    mock.start()
    try:
        yield mock
    finally:
        mock.close()
