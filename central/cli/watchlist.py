"""``guardpost watchlist``: central's wanted-persons list: keys, import, and signed pushes to terminals.

- ``keygen --private FILE --public FILE``: the Ed25519 key pair (private key mode 0600).
- ``import FILE [--replace]``: add or replace entries with their templates; a new version.
- ``push [--terminal ID ...] [--full]``: each terminal gets what it needs: an incremental
  update from the version it reported (or was last sent), a full update when central does
  not know that version or ``--full`` is given, an announcement when it is current.
- ``announce``: central's current version, so that terminals holding it are not stale.
- ``sweep``: every registered guard's ID number against the list; prints each hit (new ones
  marked), records them and writes new ones to the audit log. The running service tells the
  police of new hits (``central.api.sweeps``); an import is followed by the same sweep.

The signing key comes from ``--key`` or GUARDPOST_WATCHLIST_KEY; ``--out DIR`` writes the
signed messages to files instead of publishing them (for a terminal reached by hand).
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session, col, select

from central.alerts.sweep import SweepReport
from central.api.sweeps import sweep_and_notify
from central.cli.common import EXIT_CONFIG, EXIT_FAILED, command_scope, load, open_database
from central.registry.models import Terminal
from central.watchlist.store import current_revision, import_entries, last_push, read_import_file, record_push
from central.watchlist.sync import (
    TEMPLATE_MODEL,
    WatchlistSyncError,
    build_announce,
    build_for,
    generate_keys,
    load_private_key,
    publish,
)
from protocol.mqtt import MqttSettings


def _fail(text: str, code: int = EXIT_FAILED) -> int:
    sys.stderr.write(f"guardpost watchlist: {text}\n")
    return code


def keygen(args: argparse.Namespace) -> int:
    try:
        generate_keys(args.private, args.public)
    except FileExistsError:
        return _fail(f"密钥文件已存在 / {args.private} exists; not overwritten")
    sys.stdout.write(f"私钥 / private key -> {args.private} (0600); 公钥 / public key -> {args.public}\n")
    return 0


def import_list(args: argparse.Namespace) -> int:
    settings = load(args)
    try:
        document = read_import_file(args.file)
    except (OSError, ValueError) as exc:
        return _fail(f"无法读取 / cannot read: {exc}")
    if document.model != TEMPLATE_MODEL:
        return _fail(f"模板模型不符 / templates of {document.model}; terminals use {TEMPLATE_MODEL}")
    engine = open_database(settings)
    with Session(engine) as session:
        version = import_entries(session, document.entries, replace=args.replace).version
        report = sweep_and_notify(session, command_scope(), None, why="watchlist imported")
    engine.dispose()
    sys.stdout.write(f"已导入 / imported {len(document.entries)} entries: 版本 / version {version}\n")
    _print_hits(report)
    return 0


def sweep(args: argparse.Namespace) -> int:
    """Every registered guard against the list; exit 0 either way (a hit is news, not a failure)."""
    engine = open_database(load(args))
    with Session(engine) as session:
        report = sweep_and_notify(session, command_scope(), None, why="guardpost watchlist sweep")
    engine.dispose()
    _print_hits(report)
    return 0


def _print_hits(report: SweepReport) -> None:
    new = len(report.new)
    sys.stdout.write(
        f"比中 {len(report.hits)} 人（新增 {new}，解除 {report.cleared}）/ "
        f"{len(report.hits)} registered guards on the wanted list ({new} new, {report.cleared} cleared)\n"
    )
    for hit in report.hits:
        mark = "新 / new" if hit.new else "已知 / known"
        sys.stdout.write(
            f"  [{mark}] 保安员 / guard {hit.guard_id} {hit.guard_name} — 布控 / entry {hit.entry_id} "
            f"{hit.entry_name}; 比中方式: 身份证号 / matched by ID number; 辖区 / jurisdiction {hit.jurisdiction}; "
            f"首次 / first seen {hit.first_seen_at:%Y-%m-%d %H:%M}Z\n"
        )


def _targets(session: Session, wanted: list[str] | None) -> dict[str, str | None]:
    """Terminal id -> the list version it holds, as reported, else as last sent, else unknown."""
    terminals = session.exec(select(Terminal).order_by(col(Terminal.id))).all()
    known = {t.id: t.watchlist_version or last_push(session, t.id) for t in terminals}
    if wanted is None:
        return known
    return {tid: known.get(tid) or last_push(session, tid) for tid in wanted}


def _send(args: argparse.Namespace, full: bool | None) -> int:
    """``full``: None for announcements only, else push (full updates for all when True)."""
    settings = load(args)
    if args.key is None:
        return _fail("需要签名私钥 / no signing key: --key or GUARDPOST_WATCHLIST_KEY", EXIT_CONFIG)
    try:
        key = load_private_key(args.key)
    except (OSError, ValueError, TypeError) as exc:
        return _fail(f"无法加载私钥 / cannot load the signing key: {exc}", EXIT_CONFIG)
    engine = open_database(settings)
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


def push(args: argparse.Namespace) -> int:
    return _send(args, full=bool(args.full))


def announce(args: argparse.Namespace) -> int:
    return _send(args, full=None)
