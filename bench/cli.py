"""``guardpost bench NAME``: run a benchmark and print its table (``--json`` for machines).

A benchmark is a module ``bench/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> list[dict[str, object]]`` (one dict per table row).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
from typing import Any

import bench
from bench.table import format_table


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in {"cli", "table"})


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench NAME`` with one sub-subcommand per benchmark module."""
    parser = sub.add_parser("bench", help="性能基准 / benchmarks")
    names = parser.add_subparsers(dest="bench_name", required=True, metavar="NAME")
    for name in available():
        module = importlib.import_module(f"bench.{name}")
        child = names.add_parser(name, help=(module.__doc__ or name).strip().splitlines()[0])
        child.add_argument("--json", action="store_true", help="print JSON instead of a table")
        module.add_arguments(child)
        child.set_defaults(func=_runner(module))


def _runner(module: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        rows: list[dict[str, object]] = module.run(args)
        print(json.dumps(rows, ensure_ascii=False, indent=2) if args.json else format_table(rows))
        return 0

    return run
