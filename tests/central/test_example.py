"""The shipped central example configuration is valid as it stands."""

from __future__ import annotations

from central.config import load_settings
from tests import ROOT

EXAMPLE = ROOT / "examples" / "central.toml"


def test_the_example_configuration_is_valid() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.mqtt.tls is True
    assert settings.retention.photo_days == 90
    assert settings.database_url is not None
    assert settings.database_url.startswith("postgresql://")
