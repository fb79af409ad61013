"""Settings of the people's side: access control (accounts, sessions, demo mode) and retention.

Kept apart from ``central.config`` so that the settings file stays free of the
modules that use them; ``CentralSettings`` holds one of each.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Secrets nobody may run a real deployment with: the demo's and the usual guesses.
PLACEHOLDER_SECRETS = frozenset(
    {"", "admin", "admin-demo", "password", "changeme", "change-me", "secret", "123456", "guardpost", "demo"}
)
MIN_SECRET_LENGTH = 12


class AccessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Demo mode: the fixed demo accounts and API key work; never on a real deployment.
    demo: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # True behind TLS: the session cookie then never travels in clear.
    cookie_secure: bool = False
    # Creates (or resets) the account ``admin`` at start; from the environment, never a file in git.
    bootstrap_admin_password: SecretStr | None = None
    # Failed logins (central.login_throttle, per process): this many within the window lock out
    # the account, or the client address, for lockout_s.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    login_window_s: float = Field(default=900.0, gt=0)
    login_lockout_s: float = Field(default=900.0, ge=0)


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 条例 25: check-in photos and alert records are kept at least 30 days.
    photo_days: int = Field(default=30, ge=30)
    alert_days: int = Field(default=30, ge=30)
    purge_interval_s: float = Field(default=3600.0, ge=1)
    purge_enabled: bool = True


def placeholder_secret(value: str) -> bool:
    """True for a secret that is a known placeholder or too short to be a real one."""
    return value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH
