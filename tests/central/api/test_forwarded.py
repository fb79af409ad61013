"""Forwarded headers are believed from the configured reverse proxies only, over a real uvicorn.

Without ``api.trusted_proxies`` a client on 127.0.0.1 cannot escape the
per-address login limit by sending a different ``X-Forwarded-For`` each
time; with its proxy configured, the address the proxy forwards is the one
counted and logged.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from central.app import create_app
from central.config import AccessSettings, ApiSettings, CentralSettings
from tests.fixtures.served import serving
from tests.fixtures.tenants import demo_settings

PER_ADDRESS = 3


def _settings(tmp_path: Path, proxies: list[str]) -> CentralSettings:
    access = AccessSettings(demo=True, login_max_failures=100, login_max_failures_per_address=PER_ADDRESS)
    return demo_settings(tmp_path, access=access, api=ApiSettings(trusted_proxies=proxies))


def _fail_logins(url: str, forwarded_for: list[str]) -> list[int]:
    """One wrong login per address given, each as another user, each claiming that address."""
    statuses = []
    with httpx.Client(base_url=url) as client:
        for address in forwarded_for:
            body = {"username": f"u-{uuid.uuid4().hex[:8]}", "password": "wrong"}
            statuses.append(client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": address}).status_code)
    return statuses


def test_a_forwarded_header_does_not_escape_the_address_limit_by_default(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, [])
    with (
        caplog.at_level(logging.INFO, logger="central.requests"),
        serving(create_app(settings, engine=sqlite_engine, run_ingest=False), settings) as url,
    ):
        statuses = _fail_logins(url, [f"203.0.113.{n}" for n in range(PER_ADDRESS + 2)])
    assert statuses == [401] * (PER_ADDRESS - 1) + [401, 429, 429]
    assert "client=127.0.0.1" in caplog.text
    assert "203.0.113." not in caplog.text


def test_a_trusted_proxy_forwards_the_address_that_is_counted_and_logged(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, ["127.0.0.0/8"])
    with (
        caplog.at_level(logging.INFO, logger="central.requests"),
        serving(create_app(settings, engine=sqlite_engine, run_ingest=False), settings) as url,
    ):
        spread = _fail_logins(url, [f"203.0.113.{n}" for n in range(PER_ADDRESS + 2)])
        one = _fail_logins(url, ["198.51.100.7"] * (PER_ADDRESS + 1))
    assert spread == [401] * (PER_ADDRESS + 2)  # each a different client behind the proxy
    assert one == [401] * PER_ADDRESS + [429]
    assert "client=198.51.100.7" in caplog.text


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        ApiSettings(trusted_proxies=["proxy.example.org"])
