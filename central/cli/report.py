"""``guardpost report monthly``: the monthly statistics for the public security organs, printed or written."""

from __future__ import annotations

import argparse
from datetime import date

from central.cli.common import CommandError, load, open_database


def monthly(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from central.reports.monthly import monthly_report
    from central.reports.rows import report_rows
    from central.spreadsheets import to_csv, to_xlsx

    try:
        month = date.fromisoformat(f"{args.month}-01")
    except ValueError as exc:
        raise CommandError(f"月份应为 YYYY-MM / --month must be YYYY-MM, got {args.month!r}") from exc
    engine = open_database(load(args))
    with Session(engine) as session:
        report = monthly_report(session, month, jurisdiction=args.jurisdiction, company_id=args.company)
        rows = report_rows(session, report)
    engine.dispose()
    table = [("分类 / section", "项目 / item", "数值 / value"), *rows]
    if args.out is None:
        section = None
        for name, item, value in rows:
            if name != section:
                print(f"{'' if section is None else chr(10)}{name}")
                section = name
            print(f"  {value!s:>10}  {item}")
        return 0
    suffix = args.out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CommandError(f"只能写 .csv 或 .xlsx / --out must end in .csv or .xlsx, got {args.out.name!r}")
    args.out.write_bytes(to_xlsx(table, f"{month:%Y-%m}", bold_last=False) if suffix == ".xlsx" else to_csv(table))
    print(f"{len(rows)} 行 / rows -> {args.out}")
    return 0
