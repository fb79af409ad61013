"""Terminal settings: one pydantic model per concern, validated once at start.

Sources: ``guardpost terminal --config FILE`` (TOML), then environment
variables ``GUARDPOST_TERMINAL_<KEY>`` (nested keys joined by ``__``, e.g.
``GUARDPOST_TERMINAL_MQTT__PASSWORD``), which win over the file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from edge.drivers import ReaderConfig
from edge.drivers.camera import CameraConfig
from edge.uplink import UplinkSettings
from edge.watchlist_sync import WatchlistSyncSettings
from protocol.mqtt import MqttSettings
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
    enrolment_file: Path | None = Field(default=None, description="default: <data_dir>/enrolment file")
    watchlist_file: Path | None = Field(default=None, description="default: <data_dir>/watchlist file")
    repeat_window_s: float = Field(default=3.0, ge=0, description="taps of one card within this are one tap")
    outbox_max_rows: int = Field(default=100_000, ge=100)
    outbox_max_bytes: int = Field(default=2 * 1024**3, ge=1024**2)
