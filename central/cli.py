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
    key = actions.add_parser("id-key", help="生成身份证号加密密钥 / print a new id_protection.key")
    key.set_defaults(func=_id_key)
    __import__("central.watchlist_cli", fromlist=["register"]).register(sub)  # guardpost watchlist
    __import__("central.registry_cli", fromlist=["register"]).register(sub)  # guardpost registry


def _settings(args: argparse.Namespace) -> CentralSettings | None:
    """The settings, or None after printing which key or value is wrong.

    The ID-number key of the settings becomes the process default, so that every
    database this command opens seals and opens ID numbers with it. Without a
    key (outside demo mode) a command that touches no ID number still runs; one
    that does stops at the first number, naming ``id_protection.key``.
    """
    from central.config import SettingsError, load_settings
    from central.id_protect import IdProtectionError, use_by_default

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"guardpost central: {exc}", file=sys.stderr)
        return None
    try:
        use_by_default(settings.id_cipher())
    except IdProtectionError as exc:
        if settings.id_protection.key is not None:  # a key given but unusable is always an error
            print(f"guardpost central: {exc}", file=sys.stderr)
            return None
        use_by_default(None)
    return settings


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


def _id_key(_args: argparse.Namespace) -> int:
    from central.id_protect import new_key

    print(new_key())
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from central.db import create_db, make_engine, session_scope
    from central.demo_seed import seed_demo_registry
    from central.id_protect import IdProtectionError

    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    try:
        engine = make_engine(settings.database_url_resolved, id_cipher=settings.id_cipher())
    except IdProtectionError as exc:
        print(f"guardpost central: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    create_db(engine)
    with session_scope(engine) as session:
        seed_demo_registry(session)
    engine.dispose()
    print(f"demo registry loaded into {settings.database_url_resolved}")
    return 0
