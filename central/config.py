"""Central settings: one pydantic model, from a TOML file and ``GUARDPOST_CENTRAL_*`` variables.

Precedence, highest first: keyword arguments, environment variables (nested
keys joined by ``__``, e.g. ``GUARDPOST_CENTRAL_MQTT__PORT``), the TOML file,
the defaults. Unknown keys are refused so that a typo does not silently fall
back to a default.
"""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    SettingsConfigDict,
)

from central.id_protect import IdCipher, IdProtectionSettings, cipher_from_settings
from central.portal_settings import AccessSettings, RetentionSettings
from protocol.mqtt import MqttSettings
from protocol.settings import ConfigError, FileSettings
from protocol.settings import load_settings as load_file_settings

ENV_PREFIX = "GUARDPOST_CENTRAL_"


SettingsError = ConfigError  # a configuration file or variable that cannot be used; names the key


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


def _default_client_id() -> str:
    # Stable per host so that a restarted worker resumes its MQTT session.
    return f"guardpost-central-{socket.gethostname()}"[:64]


class CentralSettings(FileSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Path("data/central")
    # None means SQLite in data_dir (see database_url_resolved).
    database_url: str | None = None
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    # Shared subscriptions let several central workers split the load; the
    # embedded demo broker (MQTT 3.1.1) has none.
    shared_subscription: bool = True
    # One group per central deployment: two deployments on one broker each get every event.
    share_group: str = Field(default="central", pattern=r"^[A-Za-z0-9_.-]+$")
    client_id: str = Field(default_factory=_default_client_id, min_length=1, max_length=64)
    api: ApiSettings = Field(default_factory=ApiSettings)
    # Police alerts from a terminal whose site is unknown still go somewhere watched.
    default_jurisdiction: str = Field(default="unassigned", pattern=r"^[A-Za-z0-9_.-]+$")
    # A terminal not heard from for this long is flagged silent (three missed 30 s heartbeats).
    terminal_silent_after_s: float = Field(default=90.0, gt=0)
    # Base URL under which the police reach photos; None leaves photo_url out of alerts.
    public_url: str | None = None
    # Accounts, sessions and demo mode; retention of photos and alerts (条例 25).
    access: AccessSettings = Field(default_factory=AccessSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    # The key ID numbers are sealed with at rest (central.id_protect); the demo key in demo mode only.
    id_protection: IdProtectionSettings = Field(default_factory=IdProtectionSettings)

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'central.sqlite3'}"

    def id_cipher(self) -> IdCipher:
        """The ID-number cipher; IdProtectionError for a missing or demo key outside demo mode."""
        return cipher_from_settings(self.id_protection, demo=self.access.demo)

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def event_filter(self) -> str:
        # Imported here to keep this module free of topic logic at import time.
        from protocol.topics import EVENT_FILTER, shared_event_filter

        return shared_event_filter(self.share_group) if self.shared_subscription else EVENT_FILTER


def load_settings(config_file: Path | None = None) -> CentralSettings:
    """Settings from ``config_file`` (TOML) and the environment; raises SettingsError naming the key."""
    return load_file_settings(CentralSettings, config_file)
