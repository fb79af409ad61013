"""Card readers: frames decoded per second (pure decode) and tap-to-read latency through a pty.

Decode throughput feeds each family's ``decode()`` a stream of valid frames
with no I/O. Latency is measured from ``mock.tap()`` returning (the bytes are
on the line, or the card is in the PN532's field) to ``read()`` returning it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from edge.drivers import ascii_line, create_reader, em4100, parse_reader_config, pn532, resident_id, wiegand
from firmware_mocks.readers import MOCK_KINDS, create_mock
from firmware_mocks.readers import em4100 as em4100_mock
from firmware_mocks.readers import lines as lines_mock
from firmware_mocks.readers import pn532 as pn532_mock
from firmware_mocks.readers import resident_id as resident_mock

# Distinct cards so that no driver debounces a repeat; resident IDs differ only in their last digits.
_UIDS: dict[str, Callable[[int], str]] = {
    "pn532": lambda i: f"{i:08X}",
    "em4100": lambda i: f"{i:010X}",
    "ascii": lambda i: f"{i:08X}",
    "wiegand": lambda i: f"{i % 256}:{i % 65536}",
    "resident_id": lambda i: f"11010119900307{i % 10000:04d}",
}
# Every tap is a new card, so debouncing is off; the SAM is polled at its fastest useful rate.
_TUNING: dict[str, dict[str, object]] = {
    "pn532": {"debounce_s": 0},
    "em4100": {"debounce_s": 0},
    "resident_id": {"debounce_s": 0, "poll_interval_s": 0.01},
}


def _streams() -> dict[str, tuple[Callable[[bytes], tuple[list[Any], bytes]], bytes, int]]:
    """Per family: decode function, a stream of frames, the number of frames in it."""
    count = 2000
    card = resident_mock.make_fields("110101199003071234")
    return {
        "pn532": (pn532.decode, b"".join(
            pn532_mock.encode_frame(0xD5, pn532_mock.encode_target(i.to_bytes(4, "big"))) for i in range(count)
        ), count),
        "em4100": (em4100.decode, b"".join(em4100_mock.encode(f"{i:010X}") for i in range(count)), count),
        "ascii": (ascii_line.decode, b"".join(lines_mock.encode_line(f"{i:08X}") for i in range(count)), count),
        "wiegand": (wiegand.decode, b"".join(
            lines_mock.encode_wiegand(i % 256, i).encode() + b"\r\n" for i in range(count)
        ), count),
        "resident_id": (resident_id.decode, resident_mock.encode_read_reply(card) * 200, 200),
    }  # fmt: skip


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    families: Sequence[str] = args.family or MOCK_KINDS
    streams = _streams()
    return [
        {"family": family, **_throughput(*streams[family], chunk=args.chunk), **_latency(family, args.taps)}
        for family in families
    ]


def _throughput(
    decode: Callable[[bytes], tuple[list[Any], bytes]], stream: bytes, frames: int, chunk: int
) -> dict[str, object]:
    started = time.perf_counter()
    found, rest = 0, b""
    for offset in range(0, len(stream), chunk):
        out, rest = decode(rest + stream[offset : offset + chunk])
        found += len(out)
    elapsed = time.perf_counter() - started
    if found != frames:
        raise RuntimeError(f"decoded {found} frames of {frames}")
    return {"frames_per_s": round(frames / elapsed), "MB_per_s": len(stream) / elapsed / 1e6}


def _latency(family: str, taps: int) -> dict[str, object]:
    samples: list[float] = []
    with create_mock(family) as mock:
        cfg: dict[str, object] = {"type": family, "port": mock.port, **_TUNING.get(family, {})}
        with create_reader(parse_reader_config(cfg)) as reader:
            reader.read(0.05)  # open and initialise before timing
            for i in range(taps):
                mock.tap(_UIDS[family](i + 1))
                started = time.perf_counter()
                card = reader.read(2.0)
                if card is None:
                    raise RuntimeError(f"{family}: tap {i} was not read")
                samples.append(time.perf_counter() - started)
                _drain(reader)
    ms = sorted(s * 1000 for s in samples)
    return {"latency_ms_median": statistics.median(ms), "latency_ms_p95": ms[min(len(ms) - 1, int(len(ms) * 0.95))]}


def _drain(reader: Any) -> None:
    """Let EM4100 repeats of the last tap pass, so the next read is the next tap."""
    while reader.read(0.12) is not None:
        pass
