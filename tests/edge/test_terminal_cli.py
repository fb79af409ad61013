"""``guardpost terminal`` refuses bad configuration with a message that names the key; every key is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from edge.config import TerminalSettings
from edge.drivers import AsciiConfig, Em4100Config, Pn532Config, ResidentIdConfig, WiegandConfig
from edge.drivers.camera import OpenCvCameraConfig, SnapshotCameraConfig
from edge.uplink import UplinkSettings
from edge.watchlist_sync import WatchlistSyncSettings
from guardpost.cli import main
from protocol.mqtt import MqttSettings
from protocol.settings import ConfigError, load_settings
from shared.face import FaceSettings
from tests import ROOT

EXAMPLE = ROOT / "examples" / "terminal.toml"


def test_the_example_configuration_is_valid() -> None:
    settings = load_settings(TerminalSettings, EXAMPLE)
    assert settings.terminal_id == "T-S2-GATE"
    assert settings.reader.type == "pn532"
    assert settings.mqtt.tls is True


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDPOST_TERMINAL_MQTT__PORT", "18883")
    monkeypatch.setenv("GUARDPOST_TERMINAL_MQTT__PASSWORD", "s3cret")
    settings = load_settings(TerminalSettings, EXAMPLE)
    assert settings.mqtt.port == 18883
    assert settings.mqtt.password is not None
    assert settings.mqtt.password.get_secret_value() == "s3cret"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("[uplink]", "[uplink]\nresend_after = 3"), "uplink.resend_after"),  # unknown key
        (('type = "pn532"', 'type = "nfc9000"'), "reader"),  # unknown reader family
        (("port = 8883", "port = 99999"), "mqtt.port"),  # out of range
        (('terminal_id = "T-S2-GATE"', 'terminal_id = "bad id/with slash"'), "terminal_id"),
    ],
)
def test_a_wrong_key_or_value_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], named: str
) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(EXAMPLE.read_text().replace(*change, 1))
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(TerminalSettings, config)
    assert main(["terminal", "--config", str(config)]) == 2
    assert named in capsys.readouterr().err


def test_not_toml_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text("terminal_id = [unclosed")
    assert main(["terminal", "--config", str(config)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_the_configuration_document_names_every_key() -> None:
    """docs/configuration.md lists each setting of the terminal and of each section and reader family."""
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [
        TerminalSettings, Pn532Config, Em4100Config, AsciiConfig, WiegandConfig, ResidentIdConfig,
        OpenCvCameraConfig, SnapshotCameraConfig, MqttSettings, UplinkSettings, FaceSettings, WatchlistSyncSettings,
    ]  # fmt: skip
    keys = [(m.__name__, key) for m in models for key in m.model_fields]
    assert [f"{model}.{key}" for model, key in keys if f"`{key}`" not in doc and f"`[{key}]`" not in doc] == []
