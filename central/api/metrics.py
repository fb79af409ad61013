"""Observability: Prometheus metrics at ``/metrics`` (administrators only) and one structured log line per request.

Each app has its own registry (several apps in one test process must not
collide). Counts from the database (alerts by status, check-ins) are read at
scrape time, so that they are right whichever worker stored the rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.alerts.models import Alert
from central.api.deps import AdminScopeDep
from central.checkins.models import Checkin

logger = logging.getLogger("central.requests")


class Metrics:
    """The app's registry with its HTTP and retention counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "guardpost_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "guardpost_http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry
        )
        self.purged = Counter(
            "guardpost_retention_purged", "Records deleted by the retention purge", ["kind"], registry=self.registry
        )

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RecordsCollector(Collector):
    """Gauges read from the database and the app at scrape time."""

    def __init__(
        self,
        engine: Engine,
        listeners: Callable[[], int],
        mqtt_connected: Callable[[], bool | None],
        verdict_differences: Callable[[], Mapping[str, int]] = dict,
    ) -> None:
        self._engine = engine
        self._listeners = listeners
        self._mqtt_connected = mqtt_connected
        self._verdict_differences = verdict_differences

    def collect(self) -> Iterator[Metric]:
        alerts = GaugeMetricFamily("guardpost_alerts", "Stored alerts by workflow status", labels=["status"])
        checkins = GaugeMetricFamily("guardpost_checkins", "Stored check-ins")
        try:
            with Session(self._engine) as session:
                by_status = session.exec(select(Alert.status, func.count()).group_by(col(Alert.status))).all()
                total = session.exec(select(func.count()).select_from(Checkin)).one()
        except SQLAlchemyError:
            logger.warning("metrics: database unreachable", exc_info=True)
        else:
            for status, count in by_status:
                alerts.add_metric([str(status)], count)
            checkins.add_metric([], total)
            yield alerts
            yield checkins
        yield GaugeMetricFamily("guardpost_sse_listeners", "Open live alert streams", value=self._listeners())
        connected = self._mqtt_connected()
        if connected is not None:
            yield GaugeMetricFamily("guardpost_ingest_connected", "Ingest on the broker", value=int(connected))
        differences = CounterMetricFamily(
            "guardpost_verdict_differences",
            "Check-ins where the terminal's verdict differs from central's",
            labels=["kind"],
        )
        for kind, count in sorted(self._verdict_differences().items()):
            differences.add_metric([kind], count)
        yield differences


class RequestLog:
    """ASGI middleware (streams pass through untouched): metrics and a key=value log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = str(scope.get("method", ""))
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(seconds)
        actor = scope.get("state", {}).get("actor", "-")
        client = scope.get("client") or ("-", 0)  # after the trusted proxy's X-Forwarded-For, if any
        logger.info(
            "request method=%s route=%s status=%d ms=%.1f actor=%s client=%s",
            method, template, status, seconds * 1000, actor, client[0],
        )  # fmt: skip


router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def metrics(request: Request, _admin: AdminScopeDep) -> Response:
    """Prometheus text; a scraper sends an admin API key as its bearer token."""
    # Administrators only: alert counts by status would tell anyone else that a match happened.
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
