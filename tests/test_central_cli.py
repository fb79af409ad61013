"""Central's commands: the lists their parsers offer are the registry's, and --config goes anywhere."""

from __future__ import annotations

import pytest

from central.cli import IMPORT_KINDS, RECORD_KINDS
from central.registry.import_specs import SPECS
from central.registry.resources import RESOURCES
from guardpost.cli import build_parser


def test_the_parsers_offer_the_registrys_kinds() -> None:
    assert set(IMPORT_KINDS) == set(SPECS)
    assert set(RECORD_KINDS) == set(RESOURCES)


@pytest.mark.parametrize(
    "argv",
    [
        ["central", "--config", "c.toml", "seed-demo"],
        ["central", "seed-demo", "--config", "c.toml"],
        ["registry", "--config", "c.toml", "import", "guards", "g.csv"],
        ["registry", "import", "guards", "g.csv", "--config", "c.toml"],
        ["watchlist", "--config", "c.toml", "push"],
        ["watchlist", "push", "--config", "c.toml"],
    ],
)
def test_config_is_accepted_before_or_after_the_action(argv: list[str]) -> None:
    assert str(build_parser().parse_args(argv).config) == "c.toml"


def test_without_config_the_environment_alone_applies() -> None:
    assert build_parser().parse_args(["registry", "list", "guards"]).config is None
