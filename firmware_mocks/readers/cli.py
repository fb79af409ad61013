"""``guardpost mock reader KIND --link PATH [--variant V]``: a reader mock on a pty, tapping cards from a file or stdin.

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
from pathlib import Path
from types import FrameType
from typing import Any

from firmware_mocks.readers import ReaderMock, create_mock
from protocol.errors import ConfigError


def run(args: argparse.Namespace) -> int:
    _check_paths(args)
    signal.signal(signal.SIGTERM, _interrupt)  # so a terminated mock still removes its link
    stop = threading.Event()
    try:
        mock = create_mock(args.kind, args.link, args.variant)
    except ValueError as exc:  # a variant the family does not have
        raise ConfigError(f"无效的设备型号 / invalid --variant: {exc}") from exc
    try:
        mock.start()  # here rather than by `with`, to report a link that cannot be made
    except OSError as exc:  # the link cannot be written there
        raise ConfigError(f"无法创建链接 / cannot create the link {args.link}: {exc.strerror}; check --link") from exc
    with mock:
        variant = f" ({mock.variant})" if mock.variant else ""
        print(f"模拟读卡器已就绪 / {args.kind}{variant} reader mock serving at {mock.port}", flush=True)
        if args.taps is None:
            _tap_all(mock, sys.stdin, 0.0, stop)
        else:
            with args.taps.open(encoding="utf-8") as lines:
                _tap_all(mock, lines, args.interval, stop)
        print("继续服务，按 Ctrl-C 退出 / serving until Ctrl-C", flush=True)
        stop.wait()
    return 0


def _check_paths(args: argparse.Namespace) -> None:
    folder = Path(args.link).parent
    if not folder.is_dir():
        raise ConfigError(f"文件夹不存在 / folder {folder} of --link does not exist: create it, or change --link")
    if args.taps is not None and not args.taps.is_file():
        raise ConfigError(f"卡号文件不存在 / taps file {args.taps} does not exist: check --taps")


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
