"""The FastAPI application: every router and page, and a lifespan that readies the database and runs the work.

``create_app`` builds the app (routers, pages, static files, the request log
and metrics; it refuses placeholder secrets outside demo mode). Its lifespan
opens and migrates the database, creates the bootstrap or demo accounts, and
runs MQTT ingest (each police alert audited), the live alert hub, the retention
schedule and the registry sweep (``central.api.sweeps``) for the app's lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from central.access import auth
from central.access.audit import SYSTEM, audit
from central.access.throttle import LoginThrottle
from central.alerts import notices, webhooks
from central.alerts.live import AlertHub
from central.api import (
    attendance_requests,
    board,
    cases,
    compliance,
    coverage,
    enrolment,
    escalations,
    exports,
    health,
    metrics,
    operations,
    police,
    registry,
    reports,
    rosters,
    sweeps,
    terminals,
    watchlist,
)
from central.api import auth as auth_routes
from central.api import webhooks as webhooks_api
from central.api.deps import LoginRequired, PasswordChangeRequired, csrf_protect, require_admin
from central.api.errors import error_json, field_errors, http_json, invalid_request, is_api
from central.api.headers import SecurityHeaders
from central.api.limits import BodyGuard, BodyLimits, account_role
from central.api.metrics import Metrics, RecordsCollector, RequestLog
from central.api.refusals import REFUSALS
from central.checkins import partitions, retention
from central.checkins import queries as checkin_queries
from central.checkins.ingest import Ingest
from central.checkins.live import CheckinHub
from central.checkins.photo_store import photo_store
from central.compliance import schedule as compliance_schedule
from central.config import CentralSettings
from central.db import sealing
from central.db.engine import make_engine
from central.db.leader import Leadership, one_at_a_time
from central.errors import DomainError
from central.rosters.publisher import RosterPublisher
from central.schema import create_db
from central.watchlist.portraits import portraits_for
from central.watchlist.sync import load_private_key
from central.web import admin_accounts as account_pages
from central.web import admin_audit as audit_pages
from central.web import admin_import as import_pages
from central.web import admin_webhooks as webhook_pages
from central.web import attendance_requests as request_pages
from central.web import cases as case_pages
from central.web import pages
from central.web import police as police_pages
from central.web import reports as report_pages
from central.web import rosters as roster_pages
from central.web import terminals as terminal_pages
from central.web import watchlist as watchlist_pages
from central.web.render import WEB_DIR, domain_error_page, error_page
from protocol.messages import PoliceAlert

logger = logging.getLogger(__name__)


def create_app(settings: CentralSettings, *, engine: Engine | None = None, run_ingest: bool | None = None) -> FastAPI:
    """The central app: what ``settings.serve`` names (``run_ingest`` overrides it for the ingest; tests).

    Raises IdProtectionError when ``id_protection.key`` is missing or the demo key outside demo mode,
    AccessError for a placeholder bootstrap password outside demo mode.
    """
    cipher = settings.id_cipher()
    auth.check_access_settings(settings.access)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        db = engine if engine is not None else make_engine(settings.database_url_resolved)
        sealing.bind(db, cipher)
        with one_at_a_time(db, "startup"):  # workers starting together: one schema upgrade, one account seeding
            create_db(db)
            _prepare_accounts(db, settings)
        access = settings.access
        app.state.login_throttle = LoginThrottle(
            db, access.login_max_failures, access.login_max_failures_per_address, access.login_window_s,
            access.login_lockout_s,
        )  # fmt: skip
        app.state.engine = db
        ingests = "ingest" in settings.serve if run_ingest is None else run_ingest
        app.state.ingest = Ingest(settings, db, on_alert=_alert_audit(db)) if ingests else None
        if app.state.ingest is not None:
            app.state.ingest.start()
        try:
            async with _background(app, db, settings):
                yield
        finally:
            if app.state.ingest is not None:
                app.state.ingest.stop()
            if own_engine:
                db.dispose()

    app = FastAPI(
        title="guardpost central",
        description="保安员持证上岗考勤 / security-guard identity and attendance",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],  # cookie-authenticated writes carry the session's token
    )
    app.state.settings = settings
    app.state.ingest = None
    app.state.rosters = None
    _install(app, settings)
    return app


def server_options(settings: CentralSettings) -> dict[str, Any]:
    """uvicorn's options: where to listen, and no forwarded header believed by uvicorn itself.

    uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise; the app
    believes it from ``api.trusted_proxies`` only (``_install``).
    """
    return {"host": settings.api.host, "port": settings.api.port, "proxy_headers": False, "forwarded_allow_ips": ""}


def _install(app: FastAPI, settings: CentralSettings) -> None:
    """Routers, pages, static files, the request log and metrics;
    request body limits, security headers, and the trusted reverse proxies' forwarded headers."""
    app.state.metrics = Metrics()
    if "api" not in settings.serve:  # an ingest-only worker: what its supervisor and Prometheus ask, no more
        _install_health(app, settings)
        return
    modules = (health, operations, board, police, terminals, watchlist, auth_routes, coverage, exports, metrics,
               compliance, reports, cases, attendance_requests, webhooks_api)  # fmt: skip
    for module in modules:
        app.include_router(module.router, responses=REFUSALS)
    # The registry API is the administrator's: ID numbers in clear, writes.
    app.include_router(
        registry.router, dependencies=[Depends(require_admin), Depends(wake_rosters)], responses=REFUSALS
    )
    app.include_router(enrolment.router, dependencies=[Depends(wake_rosters)], responses=REFUSALS)
    app.include_router(rosters.router, dependencies=[Depends(wake_rosters)], responses=REFUSALS)
    for page_module in (
        pages,
        police_pages,
        watchlist_pages,
        terminal_pages,
        report_pages,
        case_pages,
        import_pages,
        account_pages,
        audit_pages,
        request_pages,
        webhook_pages,
    ):
        app.include_router(page_module.router)
    app.include_router(roster_pages.router, dependencies=[Depends(wake_rosters)])
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    _install_middleware(app, settings)

    async def login_required(request: Request, exc: Exception) -> Response:
        return pages.login_redirect(request.url.path)

    async def password_change_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/account/password", status_code=303)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PasswordChangeRequired, password_change_required)


def _install_health(app: FastAPI, settings: CentralSettings) -> None:
    for module in (health, metrics):
        app.include_router(module.router, responses=REFUSALS)
    _install_middleware(app, settings)


def _install_middleware(app: FastAPI, settings: CentralSettings) -> None:
    limits = BodyLimits(default=settings.api.max_body_bytes, imports=settings.api.max_import_bytes)
    app.add_middleware(BodyGuard, limits=limits, role_of=account_role)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog, metrics=app.state.metrics)
    if settings.api.trusted_proxies:  # outermost: the request log and the login throttle see the client's address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.api.trusted_proxies)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


async def domain_error(request: Request, exc: Exception) -> Response:
    """Every refusal of a domain, one way: JSON for the API, the error page for pages."""
    assert isinstance(exc, DomainError)
    return error_json(exc) if is_api(request) else domain_error_page(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    """The framework's refusals (no such path, method not allowed), worded like the domain's."""
    assert isinstance(exc, StarletteHTTPException)
    return http_json(exc) if is_api(request) else error_page(request, exc.status_code)


async def validation_error(request: Request, exc: Exception) -> Response:
    """A request that fails validation: JSON for the API, for a page the fields and why in words."""
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return await invalid_request(request, exc)
    fields = [(str(e["loc"][-1]), e["msg_zh"]) for e in field_errors(exc)]
    return error_page(request, 422, fields=fields)


def _roster_publisher(
    engine: Engine, settings: CentralSettings, ingest: Ingest, leads: Callable[[], bool]
) -> RosterPublisher | None:
    """The roster publisher on ingest's broker connection, when rosters are on and a signing key is configured."""
    path = settings.signing_key_path
    if not settings.roster.enabled:
        return None
    if path is None:
        logger.warning("未配置签名私钥，终端名册不下发 / no signing key configured: terminals get no roster")
        return None
    roster = settings.roster
    key = load_private_key(path)
    return RosterPublisher(engine, ingest.publish, key, roster.interval_s, roster.resend_after_s, leads)


async def wake_rosters(request: Request) -> AsyncIterator[None]:
    """After a registry write through the API, rosters are rebuilt at once (not at the next round)."""
    yield
    publisher = getattr(request.app.state, "rosters", None)
    if publisher is not None and request.method not in ("GET", "HEAD"):
        publisher.wake()


def _alert_audit(engine: Engine) -> Callable[[PoliceAlert], None]:
    """Each police alert ingest sends, in the audit log (an ID-number match is a look-up of a person)."""

    def record(alert: PoliceAlert) -> None:
        detail = (
            f"比中方式 / matched_by={alert.matched_by} entry={alert.watchlist_entry_id} site={alert.site_id} "
            f"jurisdiction={alert.jurisdiction}"
        )
        try:
            with Session(engine) as session:
                audit(session, SYSTEM, "alert.raise", str(alert.alert_id), detail)
        except SQLAlchemyError:  # the alert is stored and sent: a lost audit line must not hold back receipts
            logger.exception("alert %s not written to the audit log", alert.alert_id)

    return record


def _prepare_accounts(engine: Engine, settings: CentralSettings) -> None:
    with Session(engine) as session:
        if settings.access.demo:
            auth.seed_demo_access(session)
        auth.ensure_bootstrap_admin(session, settings.access)


def _webhooks(engine: Engine, settings: CentralSettings, leads: Callable[[], bool]) -> Coroutine[Any, Any, None]:
    alerts = settings.alerts
    retry = webhooks.Retry(alerts.webhook_timeout_s, alerts.webhook_retry_base_s, alerts.webhook_retry_max_s)
    return webhooks.run_schedule(engine, settings.public_url, retry, alerts.webhook_check_s, leads)


def _audit_check(engine: Engine) -> Callable[[compliance_schedule.CheckReport], None]:
    """The daily registry check's report in the audit log, and each case it opened."""

    def checked(report: compliance_schedule.CheckReport) -> None:
        with Session(engine) as session:
            audit(session, SYSTEM, "registry.check", report.day.isoformat(), report.detail)
            for case_id in report.opened:
                audit(session, SYSTEM, "case.open", str(case_id), "registry check")

    return checked


@asynccontextmanager
async def _background(app: FastAPI, engine: Engine, settings: CentralSettings) -> AsyncIterator[None]:
    """The alert hub and the periodic jobs running, for the app's lifetime."""
    tasks = []
    hub: AlertHub | None = None
    if "api" in settings.serve:  # the live pages' streams (an ingest-only worker serves none)
        hub = AlertHub(engine, portraits_for(settings.photo_store, settings.data_dir, engine),
                       holder=checkin_queries.card_holder)  # fmt: skip
        app.state.alert_hub = hub
        app.state.checkin_hub = checkins_hub = CheckinHub(engine)
        tasks += [
            asyncio.create_task(hub.run(), name="alert-hub"),
            asyncio.create_task(checkins_hub.run(), name="board-hub"),
        ]
    ingest = app.state.ingest
    app.state.metrics.registry.register(
        RecordsCollector(
            engine,
            lambda: hub.listeners if hub is not None else 0,
            lambda: ingest.connected if ingest is not None else None,
            lambda: ingest.verdict_differences if ingest is not None else {},
        )
    )
    # Periodic jobs run on one worker at a time however many there are (central.db.leader).
    jobs = (
        "retention",
        "partitions",
        "registry-sweep",
        "registry-check",
        "rosters",
        "police-resend",
        "police-webhooks",
    )
    leaders = {job: Leadership(engine, job) for job in jobs}
    app.state.rosters = (
        _roster_publisher(engine, settings, ingest, leaders["rosters"].leads) if ingest is not None else None
    )
    if app.state.rosters is not None:
        ingest.on_status = app.state.rosters.wake  # a terminal spoke: does it hold its roster?
        app.state.rosters.start()
    if settings.retention.purge_enabled:
        purged = app.state.metrics.purged

        def count(report: retention.PurgeReport) -> None:
            purged.labels("photo").inc(report.photos)
            purged.labels("alert").inc(report.alerts)
            purged.labels("checkin").inc(report.checkins)
            with Session(engine) as session:
                audit(session, SYSTEM, "retention.purge", "", report.detail)

        photos = photo_store(settings.photo_store, settings.data_dir, engine)
        purge = retention.run_schedule(engine, photos, settings.retention, count, leaders["retention"].leads)
        tasks.append(asyncio.create_task(purge))
    # PostgreSQL: this month's and the next two months' partitions exist before their first tap (daily).
    tasks.append(asyncio.create_task(partitions.run_schedule(engine, leaders["partitions"].leads), name="partitions"))
    publish = ingest.publish if ingest is not None else None
    interval = settings.registry_sweep_interval_s
    tasks.append(asyncio.create_task(sweeps.run_schedule(engine, interval, publish, leaders["registry-sweep"].leads)))

    check = compliance_schedule.run_schedule(
        engine, settings.registry_check_interval_s, leaders["registry-check"].leads, _audit_check(engine)
    )
    tasks.append(asyncio.create_task(check))
    if ingest is not None:
        resend = notices.run_resend_schedule(ingest.resend_unsent_alerts, leaders["police-resend"].leads)
        tasks.append(asyncio.create_task(resend))
    tasks.append(asyncio.create_task(_webhooks(engine, settings, leaders["police-webhooks"].leads)))
    # Not a leader's job: each alert is escalated once by a conditional UPDATE, whichever worker gets there.
    tasks.append(asyncio.create_task(escalations.run_schedule(engine, settings, publish), name="alert-escalation"))
    try:
        yield
    finally:
        if app.state.rosters is not None:
            app.state.rosters.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for leader in leaders.values():
            leader.release()
