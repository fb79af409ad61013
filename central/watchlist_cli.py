"""``guardpost watchlist``: central's wanted-persons list: keys, import, and signed pushes to terminals.

- ``keygen --private FILE --public FILE``: the Ed25519 key pair (private key mode 0600).
- ``import FILE [--replace]``: add or replace entries with their templates; a new version.
- ``push [--terminal ID ...] [--full]``: each terminal gets what it needs: an incremental
  update from the version it reported (or was last sent), a full update when central does
  not know that version or ``--full`` is given, an announcement when it is current.
- ``announce``: central's current version, so that terminals holding it are not stale.

The signing key comes from ``--key`` or GUARDPOST_WATCHLIST_KEY; ``--out DIR`` writes the
signed messages to files instead of publishing them (for a terminal reached by hand).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlmodel import Session, col, select

from central.cli import _settings
from central.db import create_db, make_engine
from central.models import Terminal
from central.watchlist_store import current_revision, import_entries, last_push, read_import_file, record_push
from central.watchlist_sync import (
    TEMPLATE_MODEL,
    WatchlistSyncError,
    build_announce,
    build_for,
    generate_keys,
    load_private_key,
    publish,
)
from protocol.mqtt import MqttSettings

EXIT_FAILED, EXIT_CONFIG = 1, 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``watchlist`` and its subcommands."""
    parser = sub.add_parser("watchlist", help="布控名单：导入、签名下发 / watchlist: import, signed push")
    commands = parser.add_subparsers(dest="watchlist_command", required=True, metavar="SUBCOMMAND")
    keygen = commands.add_parser("keygen", help="生成签名密钥 / create the Ed25519 signing key pair")
    keygen.add_argument("--private", type=Path, required=True, help="private key file (central only)")
    keygen.add_argument("--public", type=Path, required=True, help="public key file (for terminals)")
    keygen.set_defaults(func=_keygen)
    imp = commands.add_parser("import", help="导入布控名单 / import entries with templates")
    imp.add_argument("file", type=Path, metavar="FILE", help="guardpost.watchlist_import/1 JSON")
    imp.add_argument("--replace", action="store_true", help="the file is the whole list: remove other entries")
    imp.set_defaults(func=_import)
    for name, helptext, func in (
        ("push", "向终端下发更新 / send each terminal the update it needs", _push),
        ("announce", "通告当前版本 / announce central's current version", _announce),
    ):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--terminal", action="append", default=None, help="only this terminal (repeatable)")
        command.add_argument("--key", type=Path, default=os.environ.get("GUARDPOST_WATCHLIST_KEY"),
                             help="private key PEM (default: $GUARDPOST_WATCHLIST_KEY)")  # fmt: skip
        command.add_argument("--out", type=Path, default=None, help="write <terminal>.json here, do not publish")
        command.set_defaults(func=func)
    commands.choices["push"].add_argument("--full", action="store_true", help="full updates for all")
    for command in commands.choices.values():
        command.add_argument("--config", type=Path, default=None, help="central's TOML settings file")


def _fail(text: str, code: int = EXIT_FAILED) -> int:
    sys.stderr.write(f"guardpost watchlist: {text}\n")
    return code


def _keygen(args: argparse.Namespace) -> int:
    try:
        generate_keys(args.private, args.public)
    except FileExistsError:
        return _fail(f"密钥文件已存在 / {args.private} exists; not overwritten")
    sys.stdout.write(f"私钥 / private key -> {args.private} (0600); 公钥 / public key -> {args.public}\n")
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    try:
        document = read_import_file(args.file)
    except (OSError, ValueError) as exc:
        return _fail(f"无法读取 / cannot read: {exc}")
    if document.model != TEMPLATE_MODEL:
        return _fail(f"模板模型不符 / templates of {document.model}; terminals use {TEMPLATE_MODEL}")
    engine = make_engine(settings.database_url_resolved)
    create_db(engine)
    with Session(engine) as session:
        revision = import_entries(session, document.entries, replace=args.replace)
    engine.dispose()
    sys.stdout.write(f"已导入 / imported {len(document.entries)} entries: 版本 / version {revision.version}\n")
    return 0


def _targets(session: Session, wanted: list[str] | None) -> dict[str, str | None]:
    """Terminal id -> the list version it holds, as reported, else as last sent, else unknown."""
    terminals = session.exec(select(Terminal).order_by(col(Terminal.id))).all()
    known = {t.id: t.watchlist_version or last_push(session, t.id) for t in terminals}
    if wanted is None:
        return known
    return {tid: known.get(tid) or last_push(session, tid) for tid in wanted}


def _send(args: argparse.Namespace, full: bool | None) -> int:
    """``full``: None for announcements only, else push (full updates for all when True)."""
    settings = _settings(args)
    if settings is None:
        return EXIT_CONFIG
    if args.key is None:
        return _fail("需要签名私钥 / no signing key: --key or GUARDPOST_WATCHLIST_KEY", EXIT_CONFIG)
    try:
        key = load_private_key(args.key)
    except (OSError, ValueError, TypeError) as exc:
        return _fail(f"无法加载私钥 / cannot load the signing key: {exc}", EXIT_CONFIG)
    engine = make_engine(settings.database_url_resolved)
    create_db(engine)
    try:
        with Session(engine) as session:
            payloads: dict[str, bytes] = {}
            for terminal_id, version in _targets(session, args.terminal).items():
                if full is None:
                    kind, payload = "announce", build_announce(session, key)
                else:
                    kind, payload = build_for(session, key, None if full else version)
                payloads[terminal_id] = payload
                sys.stdout.write(f"{terminal_id}: {kind} ({version or '-'} -> current), {len(payload)} bytes\n")
            _deliver(args, settings.mqtt, payloads)
            revision = current_revision(session)
            if full is not None and revision is not None:
                for terminal_id in payloads:
                    record_push(session, terminal_id, revision.version)
    except (WatchlistSyncError, OSError) as exc:
        return _fail(str(exc))
    finally:
        engine.dispose()
    return 0


def _deliver(args: argparse.Namespace, mqtt_settings: MqttSettings, payloads: dict[str, bytes]) -> None:
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for terminal_id, payload in payloads.items():
            (args.out / f"{terminal_id}.json").write_bytes(payload)
        return
    publish(mqtt_settings, payloads)


def _push(args: argparse.Namespace) -> int:
    return _send(args, full=bool(args.full))


def _announce(args: argparse.Namespace) -> int:
    return _send(args, full=None)
