"""``guardpost mock reader KIND --link PATH``: a reader mock on a pty, tapping cards from a file or stdin.

Each line is a card id (for Wiegand also ``FACILITY:CARD``) or a JSON object
``{"uid": …, "name": …}`` carrying fields; blank lines and ``#`` comments are
skipped. The mock keeps serving after the last tap until interrupted. The
arguments are declared in firmware_mocks/cli.py, which imports this module only
to run the command.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Any

from firmware_mocks.readers import ReaderMock, create_mock


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # so a terminated mock still removes its link
    stop = threading.Event()
    with create_mock(args.kind, args.link) as mock:
        print(f"模拟读卡器已就绪 / {args.kind} reader mock serving at {mock.port}", flush=True)
        if args.taps is None:
            _tap_all(mock, sys.stdin, 0.0, stop)
        else:
            with args.taps.open(encoding="utf-8") as lines:
                _tap_all(mock, lines, args.interval, stop)
        print("继续服务，按 Ctrl-C 退出 / serving until Ctrl-C", flush=True)
        stop.wait()
    return 0


def _tap_all(mock: ReaderMock[Any], lines: Iterable[str], interval: float, stop: threading.Event) -> None:
    for line in lines:
        try:
            tap = parse_tap(line)
        except ValueError as exc:
            print(f"无效行 / bad line {line.strip()!r}: {exc}", file=sys.stderr, flush=True)
            continue
        if tap is None:
            continue
        if interval:
            stop.wait(interval)  # pacing between taps; nothing ever sets it
        uid, fields = tap
        try:
            mock.tap(uid, **fields)
        except ValueError as exc:
            print(f"无效卡号 / bad card {uid!r}: {exc}", file=sys.stderr, flush=True)
            continue
        print(f"刷卡 / tapped {uid}", flush=True)


def parse_tap(line: str) -> tuple[str, dict[str, Any]] | None:
    """``uid`` or a JSON object with ``uid`` and fields; None for blank and comment lines."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not text.startswith("{"):
        return text, {}
    fields = json.loads(text)
    if not isinstance(fields, dict) or "uid" not in fields:
        raise ValueError(f"a JSON tap needs a uid: {text}")
    return str(fields.pop("uid")), fields


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
