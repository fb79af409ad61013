"""``guardpost cards``: read cards from a real port and print one JSON line per read.

Each line carries the card's number in canonical form (``canonical``) and in
every form printed on cards or sent by other readers (``forms``, see
docs/cards.md), so an operator can see which number to register.
ID numbers are masked unless ``--show-id``; framing errors go to stderr with
their cause and reading goes on; an unplugged reader ends the command (exit 1);
a reader that does not open is a configuration error (exit 2).
Only the standard library at module level (``guardpost --help`` imports this
module); the drivers load when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from edge.errors import FramingError, ReaderDisconnected, ReaderError
from edge.reader_kinds import READER_KINDS
from protocol.errors import ConfigError

if TYPE_CHECKING:
    from edge.drivers.base import CardRead, CardReader

_READ_SLICE_S = 0.5  # how often the loop looks at --timeout


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``cards``."""
    parser = sub.add_parser("cards", help="读卡测试 / read cards and print one JSON line per card")
    parser.add_argument("--reader", required=True, choices=READER_KINDS, help="读卡器类型 / reader family")
    parser.add_argument("--port", required=True, help="串口 / device path, pty or pyserial URL")
    parser.add_argument("--baud", type=int, help="波特率 / baud rate (default: the family's)")
    parser.add_argument("--count", type=int, default=0, help="读到 N 张卡后退出 / exit after N reads")
    parser.add_argument("--timeout", type=float, help="超时秒数 / give up after S seconds (exit 1)")
    parser.add_argument("--show-id", action="store_true", help="显示完整身份证号 / do not mask ID numbers")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with _open_reader(args) as reader:
        return _read_loop(reader, args)


def _open_reader(args: argparse.Namespace) -> CardReader:
    """The reader of --reader/--port/--baud; ConfigError (exit 2) for bad options or a port that does not open."""
    from pydantic import ValidationError

    from edge.drivers import create_reader, parse_reader_config

    settings: dict[str, object] = {"type": args.reader, "port": args.port}
    if args.baud is not None:
        settings["baud"] = args.baud
    try:
        config = parse_reader_config(settings)
    except ValidationError as exc:
        problems = "; ".join(f"--{error['loc'][-1]}: {error['msg']}" for error in exc.errors(include_url=False))
        raise ConfigError(f"读卡器参数无效 / invalid reader option {problems}") from exc
    if "://" not in args.port and not Path(args.port).exists():
        raise ConfigError(f"串口不存在 / serial port {args.port} does not exist: check --port "
                          "(ls /dev/serial/by-id/ lists the readers plugged in)")  # fmt: skip
    try:
        return create_reader(config)
    except ReaderError as exc:
        raise ConfigError(f"无法打开读卡器 / cannot open the reader on {args.port}: {exc}; check --port "
                          "and that this user may open it (group dialout)") from exc  # fmt: skip


def _read_loop(reader: CardReader, args: argparse.Namespace) -> int:
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    reads = 0
    while not args.count or reads < args.count:
        if deadline is not None and time.monotonic() >= deadline:
            _error("超时 / timed out", f"{reads} card(s) read")
            return 1
        try:
            card = reader.read(_READ_SLICE_S)
        except ReaderDisconnected as exc:
            _error("读卡器已断开 / reader disconnected", exc)
            return 1
        except FramingError as exc:
            _error("帧错误 / framing error", exc)
            continue
        except ReaderError as exc:
            _error("读卡器错误 / reader error", exc)
            continue
        if card is not None:
            sys.stdout.write(json.dumps(card_json(card, show_id=args.show_id), ensure_ascii=False) + "\n")
            sys.stdout.flush()
            reads += 1
    return 0


def card_json(card: CardRead, show_id: bool = False) -> dict[str, object]:
    """One output line: kind and uid, the reader's details, the card number's forms, or the ID-card fields."""
    from protocol.checkin import CardKind

    out: dict[str, object] = {"kind": card.kind.value, "uid": card.uid}
    out.update(card.details)
    out.update(card_number_json(card))
    if card.id_card is not None:
        out.update(card.id_card.model_dump(mode="json"))
    if card.kind is CardKind.RESIDENT_ID and not show_id:
        out["uid"] = mask_id(card.uid)
        if "id_number" in out:
            out["id_number"] = mask_id(str(out["id_number"]))
    return out


def card_number_json(card: CardRead) -> dict[str, object]:
    """``canonical`` and ``forms`` of the tap's card number; none for an ID card (its number is the ID number).

    A uid the family cannot deliver as a card number (an ASCII reader's line of
    an unusual length) gets ``canonical: null`` and the reason, so the operator
    sees why it could not be registered as read.
    """
    from protocol.cards import CardNumberError, from_tap

    try:
        number = from_tap(card.kind, card.uid)
    except CardNumberError as exc:
        return {"canonical": None, "forms": {}, "canonical_error": str(exc)}
    return {} if number is None else {"canonical": number.canonical, "forms": number.forms()}


def mask_id(number: str) -> str:
    """``110101199003071234`` -> ``1101**********1234``."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _error(what: str, cause: object) -> None:
    detail = f"{cause}"
    if isinstance(cause, BaseException) and cause.__cause__ is not None:
        detail += f" (cause: {cause.__cause__!r})"
    sys.stderr.write(f"{what}: {detail}\n")
    sys.stderr.flush()
