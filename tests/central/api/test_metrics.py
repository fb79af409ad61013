"""Prometheus metrics and the request log."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.tenants import Apps


def test_metrics_count_requests_and_records(apps: Apps, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="central.requests"):
        apps.client("pingan").get("/api/sites")
    with TestClient(apps.client("admin").app) as anonymous:
        body = anonymous.get("/metrics").text
    assert 'guardpost_http_requests_total{method="GET",route="/api/sites",status="200"}' in body
    assert "guardpost_checkins " in body
    assert "guardpost_sse_listeners 0.0" in body
    assert "route=/api/sites status=200" in caplog.text
    assert "actor=pingan" in caplog.text
