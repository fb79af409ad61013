"""``guardpost central``, ``guardpost registry`` and ``guardpost watchlist``: central's commands.

The parsers are built from the standard library alone, so that ``guardpost
--help`` starts at once; a handler's module (and with it SQLAlchemy, FastAPI,
the face models, ...) is imported only when its command runs. ``--config``
is accepted before or after the action.

    guardpost central [--config FILE]                 the service: API, dashboard, MQTT ingest
    guardpost central backup DIR                      see central.cli.backup
    guardpost registry import guards 保安员名单.xlsx   see central.cli.registry
    guardpost watchlist push --key central.pem        see central.cli.watchlist
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeAlias

Handler = Callable[[argparse.Namespace], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# The registry's list kinds, by name (central.registry.import_specs.SPECS and
# central.registry.resources.RESOURCES; tests/central/cli keeps them equal).
IMPORT_KINDS = ("assignments", "bars", "companies", "contracts", "filings", "guards", "posts", "shifts", "sites",
                "terminals")  # fmt: skip
RECORD_KINDS = ("assignments", "bars", "cards", "certificates", "companies", "contracts", "credentials", "filings",
                "guards", "posts", "shifts", "sites", "terminals")  # fmt: skip


_COMMAND = {
    "service": "central",
    "backup": "central",
    "registry": "registry",
    "watchlist": "watchlist",
    "report": "report",
}


def _handler(module: str, name: str) -> Handler:
    """``central.cli.<module>.<name>``, imported when the command runs; a CommandError becomes one line."""

    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import StatementError

        from central.cli.common import EXIT_CONFIG, CommandError, fail
        from central.db.sealing import IdProtectionError

        handler: Handler = getattr(importlib.import_module(f"central.cli.{module}"), name)
        try:
            return handler(args)
        except CommandError as exc:
            return fail(_COMMAND[module], str(exc), exc.code)
        except IdProtectionError as exc:  # an ID number met without the key that opens it
            return fail(_COMMAND[module], str(exc), EXIT_CONFIG)
        except StatementError as exc:  # the same, met by the database layer
            if isinstance(exc.orig, IdProtectionError):
                return fail(_COMMAND[module], str(exc.orig), EXIT_CONFIG)
            raise

    return run


def _config(*, command: bool = False) -> list[argparse.ArgumentParser]:
    """``--config`` as a parent parser: None on the command, SUPPRESS on its actions.

    SUPPRESS: an action's parser leaves a value given before the action alone. A new
    parent each time, since parsers share a parent's argument objects (and defaults).
    """
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config",
        type=Path,
        default=None if command else argparse.SUPPRESS,
        help="central 的 TOML 配置文件 / central's TOML settings file; GUARDPOST_CENTRAL_* variables override it",
    )
    return [parent]


def register(sub: Subparsers) -> None:
    """Add ``central``, ``registry``, ``watchlist`` and ``report``."""
    _central(sub)
    _registry(sub)
    _watchlist(sub)
    _report(sub)


def _report(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "report", parents=_config(command=True), help="报表：月度统计 / reports: the monthly statistics"
    )
    kinds = parser.add_subparsers(dest="report_kind", required=True, metavar="KIND")
    monthly = kinds.add_parser(
        "monthly", parents=_config(), help="月度统计（持证率、采集率、违规、告警） / monthly statistics for regulators"
    )
    monthly.add_argument("--month", required=True, help="YYYY-MM")
    monthly.add_argument("--jurisdiction", default=None, help="公安辖区 / police jurisdiction code (default: all)")
    monthly.add_argument("--company", default=None, help="单位编号 / one company's report (default: all)")
    monthly.add_argument("--out", type=Path, default=None, help="*.xlsx or *.csv (default: print)")
    monthly.set_defaults(func=_handler("report", "monthly"))


def _central(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "central",
        parents=_config(command=True),
        help="中心服务 / central service (API + MQTT ingest)",
        description="运行中心服务 / run central: the HTTP API, the dashboard and the MQTT ingest of terminal events.",
    )
    parser.set_defaults(func=_handler("service", "run"))
    actions = parser.add_subparsers(dest="central_action", metavar="ACTION")
    seed = actions.add_parser("seed-demo", parents=_config(), help="载入演示登记数据 / load the demo registry")
    seed.set_defaults(func=_handler("service", "seed_demo"))
    key = actions.add_parser("id-key", help="生成身份证号加密密钥 / print a new id_protection.key")
    key.set_defaults(func=_handler("service", "id_key"))
    for name, helptext in (
        ("backup", "备份数据库、照片与清单 / back up the database and photos, with a manifest of counts and hashes"),
        ("restore", "恢复到空数据库并核对 / restore a backup into an empty database, then verify it"),
    ):
        step = actions.add_parser(name, parents=_config(), help=helptext)
        step.add_argument("dir", type=Path, metavar="DIR", help="备份目录 / the backup directory")
        step.set_defaults(func=_handler("backup", name))


def _registry(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "registry", parents=_config(command=True), help="登记数据、考勤表与数据库 / registry, timesheets, database"
    )
    actions = parser.add_subparsers(dest="registry_action", required=True, metavar="ACTION")

    load = actions.add_parser("import", parents=_config(), help="导入CSV/XLSX名单 / import a CSV or XLSX list")
    load.add_argument("kind", choices=IMPORT_KINDS)
    load.add_argument("file", type=Path)
    load.set_defaults(func=_handler("registry", "import_list"))

    blank = actions.add_parser("template", parents=_config(), help="名单模板（表头） / an empty list: its headers")
    blank.add_argument("kind", choices=IMPORT_KINDS)
    blank.add_argument("--lang", choices=["zh", "en"], default="zh", help="中文表头或字段名 / Chinese or field names")
    blank.add_argument("--out", type=Path, default=None, help="*.csv (default: standard output)")
    blank.set_defaults(func=_handler("registry", "template"))

    show = actions.add_parser("list", parents=_config(), help="列出登记记录 / list registry records as JSON lines")
    show.add_argument("kind", choices=RECORD_KINDS)
    show.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE")
    show.set_defaults(func=_handler("registry", "list_records"))

    sheet = actions.add_parser("timesheet", parents=_config(), help="考勤表 / write a daily or monthly timesheet")
    when = sheet.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=date.fromisoformat, help="daily sheet of YYYY-MM-DD")
    when.add_argument("--month", help="monthly sheet of YYYY-MM")
    sheet.add_argument("--site", action="append", help="site id (repeatable; default all)")
    sheet.add_argument("--guard", action="append", help="guard id (repeatable; default all)")
    sheet.add_argument("--group", choices=["site", "guard"], default="site")
    sheet.add_argument("--out", type=Path, required=True, help="*.csv or *.xlsx")
    sheet.set_defaults(func=_handler("registry", "timesheet"))

    db = actions.add_parser("db", parents=_config(), help="数据库迁移 / database migrations")
    db.add_argument("step", choices=["upgrade", "current", "stamp", "revision"])
    db.add_argument("-m", "--message", default="schema change")
    db.set_defaults(func=_handler("registry", "migrate"))

    photos = actions.add_parser(
        "photos", parents=_config(), help="批量登记人脸照片 / enrol guards' photos from a folder or ZIP"
    )
    photos.add_argument("source", type=Path, help="folder or ZIP of files named <guard id> or <ID number>[_N].jpg")
    photos.set_defaults(func=_handler("registry", "enrol_photos"))

    check = actions.add_parser(
        "check", parents=_config(), help="登记核查（无需刷卡的规则） / check the registry: rules that need no tap"
    )
    check.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    check.add_argument("--within", type=int, default=30, help="到期提前天数 / days ahead for what is ending")
    check.add_argument("--json", action="store_true", help="JSON lines, one finding each")
    check.set_defaults(func=_handler("registry", "check"))

    month = actions.add_parser(
        "seed-month", parents=_config(), help="生成一个月的演示考勤 / seed a month of taps (empty database)"
    )
    month.set_defaults(func=_handler("registry", "seed_month"))


def _watchlist(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "watchlist", parents=_config(command=True), help="布控名单：导入、签名下发 / watchlist: import, signed push"
    )
    commands = parser.add_subparsers(dest="watchlist_command", required=True, metavar="SUBCOMMAND")
    keygen = commands.add_parser("keygen", help="生成签名密钥 / create the Ed25519 signing key pair")
    keygen.add_argument("--private", type=Path, required=True, help="private key file (central only)")
    keygen.add_argument("--public", type=Path, required=True, help="public key file (for terminals)")
    keygen.set_defaults(func=_handler("watchlist", "keygen"))
    imp = commands.add_parser("import", parents=_config(), help="导入布控名单 / import entries with templates")
    imp.add_argument("file", type=Path, metavar="FILE", help="guardpost.watchlist_import/1 JSON")
    imp.add_argument("--replace", action="store_true", help="the file is the whole list: remove other entries")
    imp.set_defaults(func=_handler("watchlist", "import_list"))
    sweep = commands.add_parser(
        "sweep", parents=_config(), help="登记保安员身份证号比对布控名单 / compare every registered guard with the list"
    )
    sweep.set_defaults(func=_handler("watchlist", "sweep"))
    for name, helptext, handler in (
        ("push", "向终端下发更新 / send each terminal the update it needs", "push"),
        ("announce", "通告当前版本 / announce central's current version", "announce"),
    ):
        command = commands.add_parser(name, parents=_config(), help=helptext)
        command.add_argument("--terminal", action="append", default=None, help="only this terminal (repeatable)")
        command.add_argument("--key", type=Path, default=os.environ.get("GUARDPOST_WATCHLIST_KEY"),
                             help="private key PEM (default: $GUARDPOST_WATCHLIST_KEY)")  # fmt: skip
        command.add_argument("--out", type=Path, default=None, help="write <terminal>.json here, do not publish")
        command.set_defaults(func=_handler("watchlist", handler))
    commands.choices["push"].add_argument("--full", action="store_true", help="full updates for all")
