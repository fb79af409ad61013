"""Driver interfaces: card readers and cameras, and what they return.

Drivers are pull-based and thread-free: the pipeline owns loops, retries and
reconnects. A driver never logs-and-continues, publishes, or touches a database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt

from protocol.checkin import CardKind, IdCardFields


@dataclass(frozen=True, slots=True)
class CardRead:
    """One card presented to a reader. ``uid`` is upper-case hex (the ID number for 二代证)."""

    kind: CardKind
    uid: str
    id_card: IdCardFields | None = None
    details: Mapping[str, str] = field(default_factory=dict)  # e.g. Wiegand facility code
    # The ID card's photo as stored on the chip (WLT, compressed; decoding needs the vendor's library).
    wlt_photo: bytes | None = None


class CardReader(ABC):
    type_key: ClassVar[str]

    @abstractmethod
    def read(self, timeout: float) -> CardRead | None:
        """Wait up to ``timeout`` seconds for a card; raises ReaderError (ReaderDisconnected on unplug)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the port."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class Frame:
    """A BGR image (H x W x 3, uint8) and when it was captured (aware UTC)."""

    image: npt.NDArray[np.uint8]
    captured_at: datetime


class Camera(ABC):
    type_key: ClassVar[str]

    @abstractmethod
    def snapshot(self) -> Frame:
        """Return a fresh frame; raises CameraError when there is none."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
