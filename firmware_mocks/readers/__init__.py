"""Reader mocks speaking the real byte formats over a pseudo-terminal, with fault injection.

``create_mock(kind, link, variant)`` returns an unstarted mock; use it as a
context manager, or call ``start()`` and ``close()``.
"""

from __future__ import annotations

from typing import Any

from firmware_mocks.readers.base import ReaderMock
from firmware_mocks.readers.em4100 import Em4100Mock
from firmware_mocks.readers.lines import AsciiLineMock, WiegandMock
from firmware_mocks.readers.pn532 import Pn532Mock
from firmware_mocks.readers.resident_id import ResidentIdMock

_MOCKS: dict[str, type[ReaderMock[Any]]] = {
    cls.kind: cls for cls in (Pn532Mock, Em4100Mock, AsciiLineMock, WiegandMock, ResidentIdMock)
}
MOCK_KINDS: tuple[str, ...] = tuple(_MOCKS)


def create_mock(kind: str, link: str | None = None, variant: str | None = None) -> ReaderMock[Any]:
    """A mock of reader family ``kind`` (the driver's ``type``); ``link`` is an optional stable symlink,
    ``variant`` one of the family's ``variants`` (ValueError for another)."""
    try:
        cls = _MOCKS[kind]
    except KeyError:
        raise ValueError(f"no reader mock {kind!r}; known: {', '.join(MOCK_KINDS)}") from None
    return cls(link, variant=variant)


__all__ = ["MOCK_KINDS", "ReaderMock", "create_mock"]
