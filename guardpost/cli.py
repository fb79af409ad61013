"""``guardpost`` command line: each subsystem registers its own subcommands.

A command's module is imported only when that command runs, so that one
subsystem's libraries (and faults) stay out of another's commands; the top-level
help, ``--version`` and an unknown command import every module. A ConfigError
from a command is printed as one line on stderr, without a traceback: exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from guardpost import __version__
from protocol.errors import EXIT_CONFIG, ConfigError

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Command -> the module whose ``register(sub)`` adds it, in the order of the help.
COMMANDS: dict[str, str] = {
    "demo": "guardpost.demo",
    "central": "central.cli",
    "watchlist": "central.cli",
    "registry": "central.cli",
    "report": "central.cli",
    "terminal": "edge.cli",
    "fingerprint": "edge.cli",
    "cards": "edge.cards_cli",
    "face": "edge.face_cli",
    "mock": "firmware_mocks.cli",
    "bench": "bench.cli",
}
# Top-level options that neither take a value nor end the program before the command.
_PASS_THROUGH = {"-v", "--verbose"}


def _modules(argv: Sequence[str]) -> list[str]:
    """The modules to register for ``argv``: the command's own when it is named, else all."""
    for token in argv:
        if token in _PASS_THROUGH:
            continue
        if token in COMMANDS:
            return [COMMANDS[token]]
        break  # help, version, an unknown option or command: the full parser answers
    return list(dict.fromkeys(COMMANDS.values()))


def _registrars(argv: Sequence[str]) -> list[Register]:
    return [importlib.import_module(name).register for name in _modules(argv)]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="guardpost", description="保安员持证上岗考勤 / security-guard identity and attendance"
    )
    parser.add_argument("--version", action="version", version=f"guardpost {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="调试日志 / debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _registrars(argv or []):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic narrates every run at INFO (plugins, dialect, each step); central logs what changed itself.
    logging.getLogger("alembic").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"guardpost {args.command}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
