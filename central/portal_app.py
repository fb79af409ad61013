"""The people's side wired into the app: routers, pages, static files, metrics, and their background tasks.

``install`` is called when the app is built; ``running`` inside its lifespan,
once the database is ready: it checks the access settings (refusing
placeholder secrets outside demo mode), creates the bootstrap or demo
accounts, and runs the live alert hub and the retention schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlmodel import Session

from central import auth, retention
from central.api import auth as auth_routes
from central.api import exports, metrics, portal, portal_police
from central.api.deps import LoginRequired
from central.config import CentralSettings
from central.login_throttle import LoginThrottle
from central.metrics import Metrics, RecordsCollector, RequestLog
from central.sse import AlertHub
from central.web.render import WEB_DIR

logger = logging.getLogger(__name__)


def install(app: FastAPI, settings: CentralSettings) -> None:
    """Routers, pages, static files, the request log and metrics; fails on placeholder secrets."""
    auth.check_access_settings(settings.access)
    access = settings.access
    app.state.login_throttle = LoginThrottle(
        access.login_max_failures, access.login_max_failures_per_address, access.login_window_s, access.login_lockout_s
    )
    app.state.metrics = Metrics()
    for module in (auth_routes, exports, metrics, portal, portal_police):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.add_middleware(RequestLog, metrics=app.state.metrics)

    async def login_required(request: Request, exc: Exception) -> Response:
        return portal.login_redirect(request.url.path)

    app.add_exception_handler(LoginRequired, login_required)


def _prepare_accounts(engine: Engine, settings: CentralSettings) -> None:
    with Session(engine) as session:
        if settings.access.demo:
            auth.seed_demo_access(session)
        auth.ensure_bootstrap_admin(session, settings.access)


@asynccontextmanager
async def running(app: FastAPI, engine: Engine, settings: CentralSettings) -> AsyncIterator[None]:
    """Accounts ready, the alert hub and the retention schedule running, for the app's lifetime."""
    _prepare_accounts(engine, settings)
    hub = AlertHub(engine, settings.data_dir)
    app.state.alert_hub = hub
    ingest = app.state.ingest
    app.state.metrics.registry.register(
        RecordsCollector(engine, lambda: hub.listeners, lambda: ingest.connected if ingest is not None else None)
    )
    tasks = [asyncio.create_task(hub.run(), name="alert-hub")]
    if settings.retention.purge_enabled:
        purged = app.state.metrics.purged

        def count(report: retention.PurgeReport) -> None:
            purged.labels("photo").inc(report.photos)
            purged.labels("alert").inc(report.alerts)

        tasks.append(asyncio.create_task(retention.run_schedule(engine, settings.data_dir, settings.retention, count)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
