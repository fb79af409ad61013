"""Prometheus metrics and the request log."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.tenants import Apps


def test_metrics_count_requests_and_records(apps: Apps, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="central.requests"):
        apps.client("pingan").get("/api/sites")
    body = apps.client("admin").get("/metrics").text
    assert 'guardpost_http_requests_total{method="GET",route="/api/sites",status="200"}' in body
    assert "guardpost_checkins " in body
    assert "guardpost_sse_listeners 0.0" in body
    assert "route=/api/sites status=200" in caplog.text
    assert "actor=pingan" in caplog.text


def test_metrics_are_for_the_administrator_only(apps: Apps) -> None:
    """Alert counts by status would tell an employer that one of its guards matched the wanted list."""
    with TestClient(apps.client("admin").app) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
    for user in ("pingan", "jinxiu", "police"):
        response = apps.client(user).get("/metrics")
        assert response.status_code == 403, user
        assert "guardpost_alerts" not in response.text
