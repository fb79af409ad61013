"""``guardpost registry``: import lists, list records, write timesheets, migrate the database.

guardpost registry import guards 保安员名单.xlsx
guardpost registry template guards --out 保安员名单.csv     # the headers a guards list needs
guardpost registry list guards --filter employer_id=C1
guardpost registry timesheet --month 2026-03 --site S2 --out 2026-03.xlsx
guardpost registry db upgrade | current | stamp | revision -m "what changed"
guardpost registry photos 登记照片.zip  # files named by guard id or ID number; one result per file
guardpost registry seed-month          # 50 sites, 500 guards, March 2026, for trying timesheets
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from central.cli.common import EXIT_CONFIG, EXIT_FAILED, CommandError, load, open_database

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _engine(args: argparse.Namespace, *, migrate: bool = True) -> Engine:
    settings = load(args)
    args.data_dir = settings.data_dir
    return open_database(settings, migrate=migrate)


def import_list(args: argparse.Namespace) -> int:
    from rich.progress import Progress
    from sqlmodel import Session

    from central.registry.import_files import ImportFileError
    from central.registry.importer import import_file

    engine = _engine(args)
    with Progress() as bar, Session(engine) as session:
        task = bar.add_task(f"导入 / importing {args.file.name}", total=None)
        try:
            report = import_file(
                session, args.kind, args.file, lambda done, total: bar.update(task, completed=done, total=total)
            )
        except (ImportFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc
    print(report.summary())
    if args.kind == "guards" and report.changed:
        _sweep(engine)
    for refusal in report.refused:
        print(f"  {refusal.message}")
    if report.ignored_columns:
        print(f"  未使用的列 / ignored columns: {', '.join(report.ignored_columns)}")
    return EXIT_FAILED if report.refused else 0


def enrol_photos(args: argparse.Namespace) -> int:
    import zipfile

    from rich.progress import Progress
    from sqlmodel import Session

    from central.registry.photo_files import FileResult, enrol_files, photo_files

    if not args.source.exists():
        raise CommandError(f"文件或文件夹不存在 / {args.source} does not exist")
    engine = _engine(args)
    try:
        total = sum(1 for _ in photo_files(args.source))
        with Progress() as bar, Session(engine) as session:
            task = bar.add_task(f"登记 / enrolling {args.source.name}", total=total)

            def show(done: int, result: FileResult) -> None:
                bar.update(task, completed=done)
                if not result.kept:
                    bar.console.print(f"  {result.name}: {result.reason_zh} / {result.reason_en}")

            results = enrol_files(session, args.source, show)
    except (OSError, zipfile.BadZipFile) as exc:
        raise CommandError(f"无法读取 / cannot read {args.source}: {exc}") from exc
    kept = sum(r.kept for r in results)
    guards = len({r.guard_id for r in results if r.kept})
    print(f"照片 {len(results)} 张，采用 {kept} 张（{guards} 名保安员），未采用 {len(results) - kept} 张 / "
          f"{len(results)} photos, {kept} kept for {guards} guards, {len(results) - kept} not")  # fmt: skip
    return EXIT_FAILED if kept < len(results) else 0


def _sweep(engine: Engine) -> None:
    """Registered guards against the wanted list after a guards import (the service tells the police)."""
    from sqlmodel import Session

    from central.api.sweeps import sweep_and_notify
    from central.cli.common import command_scope

    with Session(engine) as session:
        report = sweep_and_notify(session, command_scope(), None, why="guards imported")
    if report.new:
        print(f"  布控比中 {len(report.new)} 人：中心服务将通报公安 / {len(report.new)} guards on the wanted list: "
              "the service alerts the police")  # fmt: skip


def template(args: argparse.Namespace) -> int:
    """An empty list of KIND (its header line) to fill in, to --out or standard output."""
    from central.registry.import_files import template_csv

    body = template_csv(args.kind, args.lang)
    if args.out is None:
        sys.stdout.write(body.decode("utf-8-sig"))
    else:
        args.out.write_bytes(body)
        print(f"模板 / template -> {args.out}")
    return 0


def list_records(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from central.registry.resources import RESOURCES

    engine = _engine(args)
    model, filters = RESOURCES[args.kind]
    query = select(model)
    for item in args.filter:
        name, _, value = item.partition("=")
        if name not in filters:
            raise CommandError(f"无法按 {name!r} 筛选 / cannot filter {args.kind} by {name!r}; one of {filters}")
        query = query.where(getattr(model, name) == value)
    with Session(engine) as session:
        for row in session.exec(query).all():
            print(json.dumps(row.model_dump(mode="json", warnings=False), ensure_ascii=False))
    return 0


def check(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from central.compliance.check import check_registry, names
    from central.registry.snapshot import local_date

    engine = _engine(args)
    on = args.date or local_date(datetime.now(UTC))  # the day in China, where the registry applies
    with Session(engine) as session:
        findings = check_registry(session, on, args.within)
        shown = names(session, findings)
    if args.json:
        for finding in findings:
            print(json.dumps(finding.as_dict(), ensure_ascii=False, default=str))
        return 0
    print(f"登记核查 {on}：{len(findings)} 项 / registry check on {on}: {len(findings)} findings")
    for number, finding in enumerate(findings, 1):
        print(f"{number:3d}. {finding.reason_zh} / {finding.reason_en}")
        where = [
            f"{label} {shown.get(value, value)} ({value})"
            for label, value in (
                ("单位 company", finding.company_id),
                ("场所 site", finding.site_id),
                ("保安员 guard", finding.guard_id),
            )  # fmt: skip
            if value
        ]
        print(f"     {' · '.join(where)}{' · ' if where else ''}依据 {finding.article} [{finding.code}]")
    return 0


def timesheet(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from central.attendance import timesheets

    engine = _engine(args)
    with Session(engine) as session:
        if args.date is not None:
            sheet = timesheets.daily(session, site_ids=args.site, guard_ids=args.guard, day=args.date)
        else:
            month = date.fromisoformat(f"{args.month}-01")
            sheet = timesheets.monthly(session, site_ids=args.site, guard_ids=args.guard, month=month, group=args.group)
    args.out.write_bytes(sheet.to_xlsx() if args.out.suffix.lower() == ".xlsx" else sheet.to_csv())
    print(f"{len(sheet.rows)} 行 / rows -> {args.out}")
    return 0


def migrate(args: argparse.Namespace) -> int:
    from central import schema
    from central.db import migrations

    engine = _engine(args, migrate=False)
    if args.step == "upgrade":
        try:
            migrations.upgrade(engine)
        except migrations.SchemaTooNew as exc:
            raise CommandError(str(exc), EXIT_CONFIG) from exc
    elif args.step == "stamp":
        migrations.stamp(engine)
    elif args.step == "revision":
        migrations.revision(engine, schema.metadata(), args.message)
    print(f"数据库版本 / database revision: {migrations.current(engine)} (head {migrations.head()})")
    return 0


def seed_month(args: argparse.Namespace) -> int:
    from central.demo.month import generate

    engine = _engine(args)
    month = generate(engine, args.data_dir)
    print(f"{month.taps} 次刷卡 / taps, {len(month.truth)} 名保安员 / guards, March 2026")
    return 0
