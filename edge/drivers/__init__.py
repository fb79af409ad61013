"""Reader registry: one config model per reader family, discriminated on ``type``, and ``create_reader``.

Each driver class names its family in ``type_key``; ``create_reader`` looks
the config's ``type`` up in the registry built from those classes. Fingerprint
modules are not card readers: they have their own config (``type = "as608"``)
and ``create_fingerprint_reader``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from edge.drivers.ascii_line import AsciiConfig, AsciiReader
from edge.drivers.base import CardRead, CardReader
from edge.drivers.em4100 import Em4100Config, Em4100Reader
from edge.drivers.fingerprint import FingerprintConfig, FingerprintReader
from edge.drivers.pn532 import Pn532Config, Pn532Reader
from edge.drivers.resident_id import ResidentIdConfig, ResidentIdReader
from edge.drivers.wiegand import WiegandConfig, WiegandReader

ReaderConfig = Annotated[
    Pn532Config | Em4100Config | AsciiConfig | WiegandConfig | ResidentIdConfig, Field(discriminator="type")
]

_DRIVERS: dict[str, Callable[[Any], CardReader]] = {
    cls.type_key: cls for cls in (Pn532Reader, Em4100Reader, AsciiReader, WiegandReader, ResidentIdReader)
}
READER_TYPES: tuple[str, ...] = tuple(_DRIVERS)

_ADAPTER: TypeAdapter[ReaderConfig] = TypeAdapter(ReaderConfig)


def parse_reader_config(data: object) -> ReaderConfig:
    """Validate a mapping (e.g. ``{"type": "pn532", "port": "/dev/ttyUSB0"}``) into its config model."""
    return _ADAPTER.validate_python(data)


def create_reader(cfg: ReaderConfig) -> CardReader:
    """Open the reader ``cfg`` describes; raises ReaderDisconnected if its port cannot be opened."""
    return _DRIVERS[cfg.type](cfg)


def create_fingerprint_reader(cfg: FingerprintConfig) -> FingerprintReader:
    """Open the fingerprint module ``cfg`` describes; raises FingerprintDisconnected if its port cannot be opened."""
    return FingerprintReader(cfg)


__all__ = [
    "READER_TYPES",
    "AsciiConfig",
    "CardRead",
    "CardReader",
    "Em4100Config",
    "FingerprintConfig",
    "FingerprintReader",
    "Pn532Config",
    "ResidentIdConfig",
    "WiegandConfig",
    "ReaderConfig",
    "create_fingerprint_reader",
    "create_reader",
    "parse_reader_config",
]
