"""``guardpost central``: the central service (API + ingest), and ``central seed-demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from central.config import CentralSettings

EXIT_CONFIG = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the central service's subcommands."""
    parser = sub.add_parser(
        "central",
        help="中心服务 / central service (API + MQTT ingest)",
        description="Run central: the HTTP API and the MQTT ingest of terminal events.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML settings file; GUARDPOST_CENTRAL_* variables override it (nested keys with __)",
    )
    parser.set_defaults(func=_run)
    actions = parser.add_subparsers(dest="central_action", metavar="ACTION")
    seed = actions.add_parser("seed-demo", help="载入演示登记数据 / load the demo registry into the database")
    seed.set_defaults(func=_seed_demo)
    __import__("central.watchlist_cli", fromlist=["register"]).register(sub)  # guardpost watchlist
    __import__("central.registry_cli", fromlist=["register"]).register(sub)  # guardpost registry


def _settings(args: argparse.Namespace) -> CentralSettings | None:
    """The settings, or None after printing which key or value is wrong."""
    from central.config import SettingsError, load_settings

    try:
        return load_settings(args.config)
    except SettingsError as exc:
        print(f"guardpost central: {exc}", file=sys.stderr)
        return None


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from central.app import create_app

    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # log_config=None keeps the logging set up by the guardpost command.
    # Live-alert streams would otherwise hold a shutdown for their whole keep-alive.
    uvicorn.run(
        create_app(settings),
        host=settings.api.host,
        port=settings.api.port,
        log_config=None,
        timeout_graceful_shutdown=2,
    )
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from central.db import create_db, make_engine, session_scope
    from central.demo_seed import seed_demo_registry

    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    engine = make_engine(settings.database_url_resolved)
    create_db(engine)
    with session_scope(engine) as session:
        seed_demo_registry(session)
    engine.dispose()
    print(f"demo registry loaded into {settings.database_url_resolved}")
    return 0
