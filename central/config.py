"""Central settings: one pydantic model, from a TOML file and ``GUARDPOST_CENTRAL_*`` variables.

Precedence, highest first: keyword arguments, environment variables (nested
keys joined by ``__``, e.g. ``GUARDPOST_CENTRAL_MQTT__PORT``), the TOML file,
the defaults. Unknown keys are refused so that a typo does not silently fall
back to a default.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    SettingsConfigDict,
)

from central.db.sealing import IdCipher, cipher_from_key
from protocol.mqtt import MqttSettings
from protocol.settings import ConfigError, FileSettings
from protocol.settings import load_settings as load_file_settings

ENV_PREFIX = "GUARDPOST_CENTRAL_"


SettingsError = ConfigError  # a configuration file or variable that cannot be used; names the key


# Secrets nobody may run a real deployment with: the demo's and the usual guesses.
PLACEHOLDER_SECRETS = frozenset(
    {"", "admin", "admin-demo", "password", "changeme", "change-me", "secret", "123456", "guardpost", "demo"}
)


MIN_SECRET_LENGTH = 12


def placeholder_secret(value: str) -> bool:
    """True for a secret that is a known placeholder or too short to be a real one."""
    return value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH


class AccessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Demo mode: the fixed demo accounts and API key work; never on a real deployment.
    demo: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # The session cookie only over HTTPS; None: yes, but in demo mode (served over plain HTTP on a laptop).
    cookie_secure: bool | None = None
    # Creates (or resets) the account ``admin`` at start; from the environment, never a file in git.
    bootstrap_admin_password: SecretStr | None = None
    # Failed logins (central.access.throttle, per process): this many within the window lock out
    # the account, or the client address, for lockout_s.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    login_window_s: float = Field(default=900.0, gt=0)
    login_lockout_s: float = Field(default=900.0, ge=0)

    @property
    def secure_cookie(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else not self.demo


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 条例 25: check-in photos and alert records are kept at least 30 days.
    photo_days: int = Field(default=30, ge=30)
    alert_days: int = Field(default=30, ge=30)
    purge_interval_s: float = Field(default=3600.0, ge=1)
    purge_enabled: bool = True
    # Check-ins (with their violations and alerts) of whole months older than this many full months are dropped;
    # unset: kept forever. At least 2: a month's rows are then at least 59 days old.
    checkin_months: int | None = Field(default=None, ge=2)

    @model_validator(mode="after")
    def _months_keep_alerts(self) -> RetentionSettings:
        # Dropping a month drops its alerts too: never before alert_days.
        if self.checkin_months is not None and self.checkin_months * 28 < self.alert_days:
            raise ValueError(
                f"checkin_months {self.checkin_months} keeps alerts less than alert_days {self.alert_days}"
            )
        return self


class IdProtectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 32 random bytes, base64 (``guardpost central id-key`` prints one); from the environment, never git.
    key: SecretStr | None = None


class RosterSettings(BaseModel):
    """Terminal rosters (central.rosters): how often each terminal's is rebuilt and compared."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    interval_s: float = Field(default=10.0, gt=0)  # a registry write through the API wakes it at once
    resend_after_s: float = Field(default=60.0, gt=0)  # sent and not confirmed by the terminal's status


class AttendanceSettings(BaseModel):
    """Leave and missed-tap corrections: which party files them; the other approves (central.attendance)."""

    model_config = ConfigDict(extra="forbid")

    # "employer": the security company files, the unit managing the site approves; "site": the other way round.
    requests_filed_by: Literal["employer", "site"] = "employer"


class AlertSettings(BaseModel):
    """Police alerts: when one not acknowledged is escalated to the jurisdiction's supervisors and sent again."""

    model_config = ConfigDict(extra="forbid")

    escalate_after_min: float = Field(default=5.0, gt=0)  # minutes after central raised it
    escalation_check_s: float = Field(default=15.0, gt=0)  # how often central looks for such alerts
    # Police systems' webhooks (central.alerts.webhooks): how often new alerts are queued and due ones sent,
    # how long a receiver is waited for, and the retry backoff (doubling from base up to max).
    webhook_check_s: float = Field(default=2.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_retry_base_s: float = Field(default=5.0, gt=0)
    webhook_retry_max_s: float = Field(default=3600.0, gt=0)


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For / -Proto are believed; none by default,
    # so a client cannot pick the address its failed logins are counted against.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Request bodies (central.api.limits): registry imports may be large, everything else is small.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_import_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {item!r}") from exc
        return value


Served = Literal["api", "ingest"]
SERVED: tuple[Served, ...] = ("api", "ingest")


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
    # What this worker does: the dashboard and its API, the MQTT ingest, or both (the default). An
    # ingest-only worker answers /healthz, /readyz and /metrics on api.port and nothing else.
    serve: list[Served] = Field(default_factory=lambda: list(SERVED), min_length=1)
    # Police alerts from a terminal whose site is unknown still go somewhere watched.
    default_jurisdiction: str = Field(default="unassigned", pattern=r"^[A-Za-z0-9_.-]+$")
    # An event whose time is further than this from when central received it (allowing for its
    # wait in the terminal's outbox) is stored with CLOCK_SKEW (central.checkins.clock).
    clock_skew_margin_s: float = Field(default=300.0, gt=0)
    # A terminal not heard from for this long is flagged silent (three missed 30 s heartbeats).
    terminal_silent_after_s: float = Field(default=90.0, gt=0)
    # Where check-in photos are kept: files under data_dir (one host), or the database (any number of hosts).
    photo_store: Literal["files", "database"] = "files"
    # Base URL under which the police reach photos; None leaves photo_url out of alerts.
    public_url: str | None = None
    # Accounts, sessions and demo mode; retention of photos and alerts (条例 25).
    access: AccessSettings = Field(default_factory=AccessSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    # Every registered guard's ID number compared with the wanted list this often (central.alerts.sweep).
    registry_sweep_interval_s: float = Field(default=3600.0, ge=1)
    # The registry checked as a whole (central.compliance): rules that need no tap; daily by default.
    registry_check_interval_s: float = Field(default=86400.0, gt=0)
    # The key ID numbers are sealed with at rest (central.db.sealing); the demo key in demo mode only.
    id_protection: IdProtectionSettings = Field(default_factory=IdProtectionSettings)
    # Central's Ed25519 private key (PEM) signing what it sends terminals: the watchlist and the rosters.
    # Default: the file named by GUARDPOST_WATCHLIST_KEY; none: nothing is sent.
    signing_key_file: Path | None = None
    roster: RosterSettings = Field(default_factory=RosterSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    attendance: AttendanceSettings = Field(default_factory=AttendanceSettings)

    @field_validator("serve")
    @classmethod
    def _serve_once_each(cls, value: list[Served]) -> list[Served]:
        if len(set(value)) != len(value):
            raise ValueError("serve 中每项只写一次 / name each of api and ingest at most once")
        return value

    @property
    def database_url_resolved(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'central.sqlite3'}"

    def id_cipher(self) -> IdCipher:
        """The ID-number cipher; IdProtectionError for a missing or demo key outside demo mode."""
        key = self.id_protection.key
        return cipher_from_key(key.get_secret_value() if key is not None else None, demo=self.access.demo)

    @property
    def signing_key_path(self) -> Path | None:
        if self.signing_key_file is not None:
            return self.signing_key_file
        named = os.environ.get("GUARDPOST_WATCHLIST_KEY")
        return Path(named) if named else None

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
