"""Central settings and the ``guardpost central`` command: wrong keys and values are named, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.config import CentralSettings, SettingsError, load_settings
from central.db.engine import make_engine
from central.registry.models import Card
from guardpost.cli import main
from protocol.topics import EVENT_FILTER, SHARED_EVENT_FILTER


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "central.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_use_sqlite_in_data_dir_and_shared_subscription() -> None:
    settings = CentralSettings(data_dir=Path("/srv/gp"))
    assert settings.database_url_resolved == "sqlite:////srv/gp/central.sqlite3"
    assert settings.event_filter == SHARED_EVENT_FILTER
    assert CentralSettings(shared_subscription=False).event_filter == EVENT_FILTER


def test_toml_is_read_and_environment_overrides_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path, '[mqtt]\nhost = "broker.local"\nport = 8883\nprotocol = "3.1.1"\n[api]\nport = 9000\n')
    monkeypatch.setenv("GUARDPOST_CENTRAL_MQTT__PORT", "1884")
    monkeypatch.setenv("GUARDPOST_CENTRAL_SHARED_SUBSCRIPTION", "false")

    settings = load_settings(config)

    assert (settings.mqtt.host, settings.mqtt.port, settings.mqtt.protocol) == ("broker.local", 1884, "3.1.1")
    assert settings.api.port == 9000
    assert settings.shared_subscription is False


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("databse_url = 'sqlite://'\n", "unknown setting 'databse_url'"),
        ("[mqtt]\nprotocl = '5'\n", "unknown setting 'mqtt.protocl'"),
        ("[mqtt]\nport = 70000\n", "setting 'mqtt.port'"),
        ("[mqtt]\nprotocol = '4'\n", "setting 'mqtt.protocol'"),
        ("[api\nport = 1\n", "central.toml"),
    ],
)
def test_bad_file_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load_settings(write(tmp_path, text))


def test_bad_environment_value_names_the_variable_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDPOST_CENTRAL_API__PORT", "eighty")
    with pytest.raises(SettingsError, match=r"setting 'api\.port'"):
        load_settings(None)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_cli_bad_config_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["central", "--config", str(write(tmp_path, "[mqtt]\nport = 0\n"))]) == 2
    assert "mqtt.port" in capsys.readouterr().err


def test_cli_seed_demo_loads_the_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, f"data_dir = '{tmp_path.as_posix()}'\n")
    assert main(["central", "--config", str(config), "seed-demo"]) == 2  # outside demo mode: no ID-number key
    assert "id_protection.key" in capsys.readouterr().err
    config = write(tmp_path, f"data_dir = '{tmp_path.as_posix()}'\n[access]\ndemo = true\n")
    assert main(["central", "--config", str(config), "seed-demo"]) == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
    with Session(engine) as session:
        assert {c.uid: c.guard_id for c in session.exec(select(Card)).all()}["iso14443a:DEADBEEF"] == "G1"
    engine.dispose()
