"""Terminal settings: one pydantic model per concern, validated once at start.

Sources: ``guardpost terminal --config FILE`` (TOML), then environment
variables ``GUARDPOST_TERMINAL_<KEY>`` (nested keys joined by ``__``, e.g.
``GUARDPOST_TERMINAL_MQTT__PASSWORD``), which win over the file. Keys and
defaults: docs/configuration.md. ``check_files`` checks at start that
the files the settings name exist, which validation does not (an example
configuration names files of the machine it is written for).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from edge.drivers import ReaderConfig
from edge.drivers.camera import CameraConfig
from edge.drivers.fingerprint import FingerprintConfig
from edge.uplink import UplinkSettings
from edge.watchlist_sync import WatchlistSyncSettings
from protocol.errors import ConfigError
from protocol.mqtt import MqttSettings, tls_files
from protocol.settings import FileSettings
from shared.face import FaceSettings


class TerminalSettings(FileSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUARDPOST_TERMINAL_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    terminal_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="also its MQTT username")
    data_dir: Path = Path("var/terminal")
    reader: ReaderConfig
    camera: CameraConfig
    mqtt: MqttSettings = MqttSettings()
    uplink: UplinkSettings = UplinkSettings()
    face: FaceSettings = FaceSettings()
    # Signed watchlist updates from central; None keeps the list file as provisioned.
    watchlist_sync: WatchlistSyncSettings | None = None
    # A serial fingerprint module (R30x / AS608 family): the site's check may ask for a finger (docs/fingerprint.md).
    fingerprint: FingerprintConfig | None = None
    finger_wait_s: float = Field(default=8.0, gt=0, le=60, description="how long a tap waits for a finger")
    enrolment_file: Path | None = Field(default=None, description="default: <data_dir>/enrolment file")
    watchlist_file: Path | None = Field(default=None, description="default: <data_dir>/watchlist file")
    repeat_window_s: float = Field(default=3.0, ge=0, description="taps of one card within this are one tap")
    outbox_max_rows: int = Field(default=100_000, ge=100)
    outbox_max_bytes: int = Field(default=2 * 1024**3, ge=1024**2)


def check_files(settings: TerminalSettings) -> None:
    """Raise ConfigError naming each file the terminal needs at start that does not exist."""
    missing = [
        f"文件不存在 / file not found: {key} = {path}; fix the path in the config file or {_variable(key)}"
        for key, path in _needed_files(settings)
        if not Path(path).is_file()
    ]
    if missing:
        raise ConfigError("\n".join(missing))


def _needed_files(settings: TerminalSettings) -> list[tuple[str, str | Path]]:
    files: list[tuple[str, str | Path | None]] = list(tls_files(settings.mqtt))
    if settings.watchlist_sync is not None:
        files.append(("watchlist_sync.public_key_file", settings.watchlist_sync.public_key_file))
    return [(key, path) for key, path in files if path is not None]


def _variable(key: str) -> str:
    prefix = TerminalSettings.model_config.get("env_prefix", "")
    return prefix + key.replace(".", "__").upper()
