"""``guardpost`` command line: each subsystem registers its own subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from guardpost import __version__

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Register]:
    # Imported lazily so that `guardpost --help` stays fast and a broken
    # subsystem does not take the others down.
    from bench.cli import register as bench
    from central.cli import register as central
    from edge.cards_cli import register as cards
    from edge.cli import register as terminal
    from edge.face_cli import register as face
    from firmware_mocks.cli import register as mocks
    from guardpost.demo import register as demo

    return [demo, central, terminal, cards, face, mocks, bench]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardpost", description="保安员持证上岗考勤 / security-guard identity and attendance"
    )
    parser.add_argument("--version", action="version", version=f"guardpost {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="调试日志 / debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
