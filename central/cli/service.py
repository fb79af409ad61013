"""``guardpost central``: the central service (API, dashboard, MQTT ingest), ``seed-demo`` and ``id-key``.

Before the service starts, everything a user can get wrong is checked and
reported as one line with the fix (``preflight``): the ID-number key, a
placeholder administrator password, a busy port, a database that cannot be
opened, a demo-mode database without the demo registry.
"""

from __future__ import annotations

import argparse
import errno
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from central.cli.common import EXIT_CONFIG, CommandError, load, open_database
from shared.systemd import notify, watchdog_interval_s

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from central.config import CentralSettings


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from central.app import create_app, server_options

    settings = load(args)
    preflight(settings)
    watchdog = watchdog_interval_s()
    # log_config=None keeps the logging set up by the guardpost command.
    # Live-alert streams would otherwise hold a shutdown for their whole keep-alive.
    config = uvicorn.Config(
        create_app(settings),
        **server_options(settings),
        log_config=None,
        timeout_graceful_shutdown=2,
        # Called from the server's loop once it listens, then every timeout_notify seconds while
        # that loop runs: systemd's READY=1, then the watchdog (a blocked event loop stops it).
        callback_notify=_Notifier(),
        timeout_notify=max(1, int(watchdog)) if watchdog else 3600,
    )
    uvicorn.Server(config).run()
    return 0


class _Notifier:
    """uvicorn's ``callback_notify``: READY=1 at the first call, WATCHDOG=1 at the others."""

    def __init__(self) -> None:
        self._ready = False

    async def __call__(self) -> None:
        notify("WATCHDOG=1" if self._ready else "READY=1")
        self._ready = True


def preflight(settings: CentralSettings) -> None:
    """Raise CommandError (EXIT_CONFIG) naming what stops the service from starting, and the fix."""
    from sqlalchemy.exc import SQLAlchemyError

    from central.access.auth import AccessError, check_access_settings

    try:
        check_access_settings(settings.access)
    except AccessError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from exc
    _port_free(settings.api.host, settings.api.port)
    _files_exist(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        engine = open_database(settings)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(
            f"数据库无法打开 / cannot open the database {_safe_url(settings)}: {reason}", EXIT_CONFIG
        ) from exc
    try:
        if settings.access.demo:
            _demo_registry_present(engine)
    finally:
        engine.dispose()


def _port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"端口已被占用 / port {host}:{port} is in use: stop the other program or set api.port "
                    "(GUARDPOST_CENTRAL_API__PORT)",
                    EXIT_CONFIG,
                ) from exc
            raise CommandError(f"无法监听 / cannot listen on {host}:{port}: {exc.strerror}", EXIT_CONFIG) from exc


def _files_exist(settings: CentralSettings) -> None:
    from central.config import ENV_PREFIX
    from protocol.mqtt import tls_files

    missing = [
        f"文件不存在 / file not found: {key} = {path}; fix the path in the config file or "
        f"{ENV_PREFIX}{key.replace('.', '__').upper()}"
        for key, path in tls_files(settings.mqtt)
        if not Path(path).is_file()
    ]
    if missing:
        raise CommandError("\n".join(missing), EXIT_CONFIG)


def _safe_url(settings: CentralSettings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url_resolved).render_as_string(hide_password=True)


def _demo_registry_present(engine: Engine) -> None:
    from sqlmodel import Session

    from central.access.auth import DEMO_ACCOUNTS
    from central.registry.models import Company

    tenants = {account.company_id for account in DEMO_ACCOUNTS if account.company_id}
    with Session(engine) as session:
        missing = sorted(t for t in tenants if session.get(Company, t) is None)
    if missing:
        raise CommandError(
            f"演示模式需要演示登记数据 / demo mode needs the demo registry (companies {', '.join(missing)} "
            "are missing): run `guardpost central seed-demo` with the same settings, or turn access.demo off",
            EXIT_CONFIG,
        )


def id_key(_args: argparse.Namespace) -> int:
    from central.db.sealing import new_key

    print(new_key())
    return 0


def seed_demo(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from central.db.sealing import IdProtectionError
    from central.demo.seed import seed_check_examples, seed_demo_registry
    from central.registry.snapshot import local_date

    settings = load(args)
    try:
        settings.id_cipher()  # the demo registry holds ID numbers: no key, no seeding
    except IdProtectionError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from exc
    engine = open_database(settings)
    with Session(engine) as session:
        seed_demo_registry(session)
        seed_check_examples(session, local_date(datetime.now(UTC)))
    engine.dispose()
    print(f"演示登记数据已载入 / demo registry loaded into {_safe_url(settings)}")
    return 0
