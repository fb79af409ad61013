"""Reader configs and the registry: one model per family, discriminated on ``type``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge.drivers import READER_TYPES, create_reader, parse_reader_config
from edge.errors import ReaderError
from edge.reader_kinds import READER_KINDS
from firmware_mocks.cli import READER_KINDS as MOCK_CHOICES
from firmware_mocks.readers import MOCK_KINDS, create_mock

DEFAULT_BAUD = {"pn532": 115200, "em4100": 9600, "ascii": 9600, "wiegand": 9600, "resident_id": 115200}


def test_every_family_has_a_driver_and_a_mock() -> None:
    assert set(READER_TYPES) == set(DEFAULT_BAUD) == set(MOCK_KINDS)
    # The command lines' choices, in the registries' order.
    assert READER_KINDS == READER_TYPES == MOCK_KINDS == MOCK_CHOICES


@pytest.mark.parametrize("kind", sorted(DEFAULT_BAUD))
def test_config_defaults_and_the_driver_it_creates(kind: str) -> None:
    cfg = parse_reader_config({"type": kind, "port": "loop://"})
    assert cfg.baud == DEFAULT_BAUD[kind]
    with create_reader(cfg) as reader:
        assert type(reader).type_key == kind
        if kind in {"pn532", "resident_id"}:  # loop:// echoes the host's commands: never an answer
            with pytest.raises(ReaderError):
                reader.read(0.01)
        else:
            assert reader.read(0.01) is None


def test_configs_refuse_unknown_fields_types_and_infinite_retries() -> None:
    with pytest.raises(ValidationError):
        parse_reader_config({"type": "em4100", "port": "loop://", "debounce": 1})
    with pytest.raises(ValidationError):
        parse_reader_config({"type": "nfc", "port": "loop://"})
    with pytest.raises(ValidationError):
        parse_reader_config({"type": "pn532", "port": "loop://", "passive_activation_retries": 0xFF})


def test_unknown_mock_kind() -> None:
    with pytest.raises(ValueError, match="no reader mock"):
        create_mock("nfc")
