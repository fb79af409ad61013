"""Fingerprint module: template upload and download, and 1:1 match time, through the pty mock (median/p95).

UpChar and DownChar move one 512-byte template in data packets of
``--packet-size``; 1:1 is LoadChar, GenImg, Img2Tz and Match against a stored
template with the finger on the sensor. DownChar is timed until its last data
packet is written: the module acknowledges none of them. The mock answers at
once and a pty moves bytes at memory speed, so the measured times are the
driver's and the line's overhead. ``uart_ms`` is what the same bytes take on a
UART at ``--baud`` (10 bits a byte): the floor on a real module, which also
takes a few hundred milliseconds to capture an image.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from edge.drivers.fingerprint import FingerprintConfig, FingerprintReader
from edge.drivers.fingerprint.codec import TEMPLATE_BYTES, Command, Pid, encode, encode_command, encode_data
from firmware_mocks.fingerprint import FingerprintMock
from protocol.errors import ConfigError

FINGER, PAGE = "guard-7", 0


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    if args.rounds < 1:
        raise ConfigError(f"--rounds {args.rounds}: give at least 1")
    wire = _wire_bytes(args.packet_size)
    cfg = {"packet_size": args.packet_size, "reply_timeout_s": 2.0}
    with FingerprintMock(packet_size=args.packet_size) as mock:
        mock.enrol(FINGER, PAGE)
        mock.place(FINGER)
        with FingerprintReader(FingerprintConfig(port=mock.port, **cfg)) as reader:
            template = _check(reader)
            operations: dict[str, Callable[[], object]] = {
                "UpChar": lambda: reader.upload(1),
                "DownChar": lambda: reader.download(2, template),
                "1:1": lambda: _one_to_one(reader),
            }
            rows = [_row(name, action, args.rounds, wire[name], args.baud) for name, action in operations.items()]
            _check(reader)  # every download arrived whole
    return rows


def _check(reader: FingerprintReader) -> bytes:
    """Warm up, and prove the loop sound: a stored template goes up, comes down and matches itself."""
    reader.load(1, PAGE)
    template = reader.upload(1)
    reader.download(2, template)
    if reader.upload(2) != template or reader.match() < 50:
        raise RuntimeError("the template did not survive the round trip")
    return template


def _one_to_one(reader: FingerprintReader) -> int:
    reader.load(2, PAGE)
    reader.capture(1)
    return reader.match()


def _row(name: str, action: Callable[[], object], rounds: int, wire_bytes: int, baud: int) -> dict[str, object]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    ms = sorted(samples)
    return {
        "operation": name,
        "rounds": rounds,
        "median_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))],
        "wire_bytes": wire_bytes,
        "baud": baud,
        "uart_ms": wire_bytes * 10 / baud * 1000,
    }


def _wire_bytes(packet_size: int) -> dict[str, int]:
    """Bytes on the line per operation, both directions."""
    ack = len(encode(Pid.ACK, b"\x00"))
    data = sum(map(len, encode_data(bytes(TEMPLATE_BYTES), packet_size)))
    commands = {
        "UpChar": [encode_command(Command.UpChar, b"\x01")],
        "DownChar": [encode_command(Command.DownChar, b"\x02")],
        "1:1": [encode_command(c, p) for c, p in ((Command.LoadChar, b"\x02\x00\x00"), (Command.GenImg, b""),
                                                   (Command.Img2Tz, b"\x01"), (Command.Match, b""))],
    }  # fmt: skip
    sent = {name: sum(map(len, packets)) + ack * len(packets) for name, packets in commands.items()}
    return {"UpChar": sent["UpChar"] + data, "DownChar": sent["DownChar"] + data, "1:1": sent["1:1"] + 2}  # score
