"""``guardpost mock fingerprint --link PATH``: a fingerprint module on a pty, driven by a script or stdin.

One command per line; blank lines and ``#`` comments are skipped:

    place F1        put finger F1 on the sensor (it stays until lifted)
    lift            take the finger away
    enrol F1 5      store F1's template at library page 5, as if enrolled earlier
    fault stall     inject a fault (see firmware_mocks.fingerprint.module)
    wait 1.5        pause before the next line

The mock keeps serving after the last line until interrupted. The arguments
are declared in firmware_mocks/cli.py, which imports this module only to run
the command.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType

from firmware_mocks.fingerprint.module import FingerprintMock
from protocol.errors import ConfigError

USAGE = "place FINGER | lift | enrol FINGER PAGE | fault NAME | wait SECONDS"


def run(args: argparse.Namespace) -> int:
    _check_paths(args)
    signal.signal(signal.SIGTERM, _interrupt)  # so a terminated mock still removes its link
    stop = threading.Event()
    try:
        options = {"capacity": args.capacity, "password": args.password, "address": args.address}
        mock = FingerprintMock(args.link, packet_size=args.packet_size, **options)
        mock.start()  # here rather than by `with`, to report a link that cannot be made
    except ValueError as exc:
        raise ConfigError(f"参数无效 / {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"无法创建链接 / cannot create the link {args.link}: {exc.strerror}; check --link") from exc
    with mock:
        print(f"模拟指纹模块已就绪 / fingerprint module mock serving at {mock.port}", flush=True)
        if args.script is None:
            run_script(mock, sys.stdin, stop)
        else:
            with args.script.open(encoding="utf-8") as lines:
                run_script(mock, lines, stop)
        print("继续服务，按 Ctrl-C 退出 / serving until Ctrl-C", flush=True)
        stop.wait()
    return 0


def run_script(mock: FingerprintMock, lines: Iterable[str], stop: threading.Event) -> None:
    """Apply each line to ``mock``; a bad line is reported on stderr and skipped."""
    for line in lines:
        try:
            step = parse_line(line)
            if step is not None:
                _apply(mock, *step, stop)
        except ValueError as exc:
            print(f"无效行 / bad line {line.strip()!r}: {exc}", file=sys.stderr, flush=True)


def parse_line(line: str) -> tuple[str, list[str]] | None:
    """(command, arguments), None for blank and comment lines; ValueError for anything else."""
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    command, rest = words[0].lower(), words[1:]
    expected = {"place": 1, "lift": 0, "enrol": 2, "fault": 1, "wait": 1}.get(command)
    if expected is None or len(rest) != expected:
        raise ValueError(f"expected {USAGE}")
    return command, rest


def _apply(mock: FingerprintMock, command: str, rest: list[str], stop: threading.Event) -> None:
    if command == "place":
        mock.place(rest[0])
    elif command == "lift":
        mock.lift()
    elif command == "enrol":
        mock.enrol(rest[0], int(rest[1]))
    elif command == "fault":
        mock.inject(rest[0])
    else:
        stop.wait(float(rest[0]))  # pacing of a script; nothing ever sets it
        return
    print(f"{command} {' '.join(rest)}".rstrip(), flush=True)


def _check_paths(args: argparse.Namespace) -> None:
    folder = Path(args.link).parent
    if not folder.is_dir():
        raise ConfigError(f"文件夹不存在 / folder {folder} of --link does not exist: create it, or change --link")
    if args.script is not None and not args.script.is_file():
        raise ConfigError(f"脚本文件不存在 / script {args.script} does not exist: check --script")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
