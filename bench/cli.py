"""``guardpost bench NAME``: run a benchmark and print its table (``--json`` for machines).

A benchmark is a module ``bench/<name>.py`` with ``run(args) -> list[dict[str, object]]``
(one dict per table row); its arguments are declared in bench/arguments.py, so that
the help of every benchmark is built without importing any of them.
"""

from __future__ import annotations

import argparse
import importlib
import json

from bench.arguments import BENCHMARKS
from bench.table import format_table


def available() -> list[str]:
    return sorted(BENCHMARKS)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench NAME`` with one sub-subcommand per benchmark."""
    parser = sub.add_parser("bench", help="性能基准 / benchmarks")
    names = parser.add_subparsers(dest="bench_name", required=True, metavar="NAME")
    for name in available():
        helptext, add_arguments = BENCHMARKS[name]
        child = names.add_parser(name, help=helptext)
        child.add_argument("--json", action="store_true", help="print JSON instead of a table")
        add_arguments(child)
        child.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"bench.{args.bench_name}")
    rows: list[dict[str, object]] = module.run(args)
    print(json.dumps(rows, ensure_ascii=False, indent=2) if args.json else format_table(rows))
    return 0
