"""``guardpost registry``: import lists, list records, write timesheets, migrate the database.

guardpost registry import guards 保安员名单.xlsx
guardpost registry list guards --filter employer_id=C1
guardpost registry timesheet --month 2026-03 --site S2 --out 2026-03.xlsx
guardpost registry db upgrade | current | stamp | revision -m "what changed"
guardpost registry seed-month          # 50 sites, 500 guards, March 2026, for trying timesheets
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_CONFIG = 2
EXIT_INPUT = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``registry`` and its actions."""
    from central.import_specs import SPECS

    parser = sub.add_parser("registry", help="登记数据、考勤表与数据库 / registry, timesheets, database")
    parser.add_argument("--config", type=Path, default=None, help="central's TOML settings file")
    actions = parser.add_subparsers(dest="registry_action", required=True, metavar="ACTION")

    load = actions.add_parser("import", help="导入CSV/XLSX名单 / import a CSV or XLSX list")
    load.add_argument("kind", choices=sorted(SPECS))
    load.add_argument("file", type=Path)
    load.set_defaults(func=_import)

    show = actions.add_parser("list", help="列出登记记录 / list registry records as JSON lines")
    show.add_argument("kind", choices=_resources())
    show.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE")
    show.set_defaults(func=_list)

    sheet = actions.add_parser("timesheet", help="考勤表 / write a daily or monthly timesheet")
    when = sheet.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=date.fromisoformat, help="daily sheet of YYYY-MM-DD")
    when.add_argument("--month", help="monthly sheet of YYYY-MM")
    sheet.add_argument("--site", action="append", help="site id (repeatable; default all)")
    sheet.add_argument("--guard", action="append", help="guard id (repeatable; default all)")
    sheet.add_argument("--group", choices=["site", "guard"], default="site")
    sheet.add_argument("--out", type=Path, required=True, help="*.csv or *.xlsx")
    sheet.set_defaults(func=_timesheet)

    db = actions.add_parser("db", help="数据库迁移 / database migrations")
    db.add_argument("step", choices=["upgrade", "current", "stamp", "revision"])
    db.add_argument("-m", "--message", default="schema change")
    db.set_defaults(func=_db)

    month = actions.add_parser("seed-month", help="生成一个月的演示考勤 / seed a month of taps (empty database)")
    month.set_defaults(func=_seed_month)


def _resources() -> list[str]:
    from central.api.registry import RESOURCES

    return sorted(RESOURCES)


def _engine(args: argparse.Namespace) -> Engine | None:
    from central.config import SettingsError, load_settings
    from central.db import make_engine
    from central.id_protect import IdProtectionError

    try:
        settings = load_settings(args.config)
        cipher = settings.id_cipher()
    except (SettingsError, IdProtectionError) as exc:
        print(f"guardpost registry: {exc}", file=sys.stderr)
        return None
    args.data_dir = settings.data_dir
    return make_engine(settings.database_url_resolved, id_cipher=cipher)


def _import(args: argparse.Namespace) -> int:
    from rich.progress import Progress
    from sqlmodel import Session

    from central.db import create_db
    from central.importer import ImportFileError, import_file

    engine = _engine(args)
    if engine is None:
        return EXIT_CONFIG
    create_db(engine)
    with Progress() as bar, Session(engine) as session:
        task = bar.add_task(f"导入 / importing {args.file.name}", total=None)
        try:
            report = import_file(
                session, args.kind, args.file, lambda done, total: bar.update(task, completed=done, total=total)
            )
        except (ImportFileError, OSError) as exc:
            print(f"guardpost registry import: {exc}", file=sys.stderr)
            return EXIT_INPUT
    print(report.summary())
    for refusal in report.refused:
        print(f"  第{refusal.line}行 / line {refusal.line}: {refusal.reason}")
    if report.ignored_columns:
        print(f"  未使用的列 / ignored columns: {', '.join(report.ignored_columns)}")
    return EXIT_INPUT if report.refused else 0


def _list(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from central.api.registry import RESOURCES

    engine = _engine(args)
    if engine is None:
        return EXIT_CONFIG
    model, filters = RESOURCES[args.kind]
    query = select(model)
    for item in args.filter:
        name, _, value = item.partition("=")
        if name not in filters:
            print(f"guardpost registry list: cannot filter {args.kind} by {name!r}; one of {filters}", file=sys.stderr)
            return EXIT_INPUT
        query = query.where(getattr(model, name) == value)
    with Session(engine) as session:
        for row in session.exec(query).all():
            print(json.dumps(row.model_dump(mode="json", warnings=False), ensure_ascii=False))
    return 0


def _timesheet(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from central import timesheets

    engine = _engine(args)
    if engine is None:
        return EXIT_CONFIG
    with Session(engine) as session:
        if args.date is not None:
            sheet = timesheets.daily(session, site_ids=args.site, guard_ids=args.guard, day=args.date)
        else:
            month = date.fromisoformat(f"{args.month}-01")
            sheet = timesheets.monthly(session, site_ids=args.site, guard_ids=args.guard, month=month, group=args.group)
    args.out.write_bytes(sheet.to_xlsx() if args.out.suffix.lower() == ".xlsx" else sheet.to_csv())
    print(f"{len(sheet.rows)} 行 / rows -> {args.out}")
    return 0


def _db(args: argparse.Namespace) -> int:
    from central import migrations

    engine = _engine(args)
    if engine is None:
        return EXIT_CONFIG
    if args.step == "upgrade":
        migrations.upgrade(engine)
    elif args.step == "stamp":
        migrations.stamp(engine)
    elif args.step == "revision":
        migrations.revision(engine, args.message)
    print(f"数据库版本 / database revision: {migrations.current(engine)} (head {migrations.head()})")
    return 0


def _seed_month(args: argparse.Namespace) -> int:
    from central.db import create_db
    from central.month_seed import generate

    engine = _engine(args)
    if engine is None:
        return EXIT_CONFIG
    create_db(engine)
    month = generate(engine, args.data_dir)
    print(f"{month.taps} 次刷卡 / taps, {len(month.truth)} 名保安员 / guards, March 2026")
    return 0
