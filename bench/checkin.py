"""Check-in, card read to decision: p50/p95/max per watchlist size, and where the time goes.

Each tap goes through a real reader driver on a pty served by a firmware mock (PN532 or
EM4100), an HTTP snapshot from the mock camera serving ORL faces (x2 on a 640 x 480
frame), the real face models, 1:1 against the enrolled card holder, the watchlist loaded
from its file (0, 10k, 100k, 1M synthetic entries), and the outbox commit
(SQLite, ``synchronous=FULL``). Camera exposure is excluded: the frame is on show before
the tap. Stages: ``read`` (tap on the line to ``read()`` returning), ``snapshot`` (HTTP
GET and JPEG decode), ``face`` (detect, gate, embed), ``watchlist`` (1:N and ID-number
match), ``outbox`` (commit), ``other`` (the photo's JPEG re-encode, 1:1, the decision).
Targets (2 cores): p50 <= 100 ms, p95 <= 150 ms with 100k.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from bench.arguments import require_orl
from edge.checkin import CheckinPipeline
from edge.drivers import create_reader, parse_reader_config
from edge.drivers.base import Camera, CardReader, Frame
from edge.drivers.camera import SnapshotCamera, SnapshotCameraConfig
from edge.enrolment import Enrolment, enroll_images
from edge.outbox import Outbox
from edge.watchlist import Watchlist, WatchlistEntry
from edge.watchlist_index import build_index
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from protocol.checkin import CheckinEvent, WatchlistCheck
from shared.face import EMBEDDING_DIM, FaceAnalysis, FaceEngine, FaceSettings

STAGES = ("read", "snapshot", "face", "watchlist", "outbox")
GUARDS = (3, 4, 5, 6, 7)  # ORL people enrolled from shots 1-3, probed with shots 4-10
# One per family of bench.arguments.CHECKIN_READERS (tests/bench/test_cli.py checks).
_UIDS = {"pn532": lambda i: f"{i:08X}", "em4100": lambda i: f"{i:010X}"}


class Stopwatch:
    """Durations of the current tap's stages, in seconds."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    @contextmanager
    def lap(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.laps[stage] = self.laps.get(stage, 0.0) + time.perf_counter() - started


class TimedCamera(Camera):
    type_key: ClassVar[str] = "timed"

    def __init__(self, inner: Camera, watch: Stopwatch) -> None:
        self._inner, self._watch = inner, watch

    def snapshot(self) -> Frame:
        with self._watch.lap("snapshot"):
            return self._inner.snapshot()


class TimedFace(FaceEngine):
    def __init__(self, settings: FaceSettings, watch: Stopwatch) -> None:
        super().__init__(settings)
        self._watch = watch

    def analyse(self, image: npt.NDArray[np.uint8]) -> FaceAnalysis:
        with self._watch.lap("face"):
            return super().analyse(image)


class TimedWatchlist(Watchlist):
    watch: Stopwatch

    def check(self, embedding: npt.ArrayLike | None, id_number: str | None, threshold: float) -> WatchlistCheck:
        with self.watch.lap("watchlist"):
            return super().check(embedding, id_number, threshold)


class TimedOutbox(Outbox):
    watch: Stopwatch

    def append(self, build: Any) -> CheckinEvent:
        with self.watch.lap("outbox"):
            return super().append(build)


def synthetic_watchlist(size: int, seed: int, folder: Path) -> tuple[Watchlist, float]:
    """A list of ``size`` random templates, saved and loaded as a terminal would; (list, load seconds)."""
    if size == 0:
        return Watchlist.empty(), 0.0
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((size, EMBEDDING_DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    entries = [WatchlistEntry(f"W-{i:07d}", "") for i in range(size)]
    owners = np.arange(size, dtype=np.int32)
    path = folder / f"watchlist-{size}.npz"
    Watchlist(f"bench-{size}", entries, matrix, owners, build_index(matrix)).save(path)
    del matrix, entries
    started = time.perf_counter()
    loaded = Watchlist.load(path)
    return loaded, time.perf_counter() - started


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    require_orl(args.orl)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    watch = Stopwatch()
    engine = TimedFace(FaceSettings(), watch)
    enrolment = Enrolment()
    for n, person in enumerate(GUARDS):
        photos = [args.orl / f"s{person}" / f"{k}.pgm" for k in (1, 2, 3)]
        enrolment.add(_UIDS[args.reader](n + 1), f"G{person}", f"s{person}", enroll_images(engine, photos))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-checkin-") as tmp:
        for size in sizes:
            watchlist, load_s = synthetic_watchlist(size, args.seed, Path(tmp))
            rows.append(_measure(args, engine, enrolment, _timed(watchlist, watch), Path(tmp), watch, load_s))
            del watchlist
    return rows


def _timed(watchlist: Watchlist, watch: Stopwatch) -> TimedWatchlist:
    timed = TimedWatchlist.__new__(TimedWatchlist)
    timed.__dict__.update(watchlist.__dict__)  # the same loaded version, with a timed check()
    timed.watch = watch
    return timed


def _measure(
    args: argparse.Namespace,
    engine: FaceEngine,
    enrolment: Enrolment,
    watchlist: TimedWatchlist,
    folder: Path,
    watch: Stopwatch,
    load_s: float,
) -> dict[str, object]:
    with ExitStack() as stack:
        camera = stack.enter_context(MockCamera())
        mock = stack.enter_context(create_mock(args.reader))
        reader_cfg = parse_reader_config({"type": args.reader, "port": mock.port, "debounce_s": 0})
        reader = stack.enter_context(create_reader(reader_cfg))
        outbox = TimedOutbox(folder / f"outbox-{len(watchlist)}.sqlite3", max_rows=100_000)
        stack.callback(outbox.close)
        outbox.watch = watch
        snapshot = TimedCamera(SnapshotCamera(SnapshotCameraConfig(url=camera.url)), watch)
        pipeline = CheckinPipeline(
            "T-BENCH", snapshot, engine, engine.settings, enrolment, watchlist, outbox, repeat_window_s=0
        )
        reader.read(0.05)  # open and initialise the reader before timing
        totals, laps = _taps(args, pipeline, camera, mock, reader, watch)
    return _row(len(watchlist), watchlist.index.kind, load_s, totals, laps)


def _taps(
    args: argparse.Namespace,
    pipeline: CheckinPipeline,
    camera: MockCamera,
    mock: Any,
    reader: CardReader,
    watch: Stopwatch,
) -> tuple[list[float], list[dict[str, float]]]:
    totals: list[float] = []
    laps: list[dict[str, float]] = []
    for tap in range(-3, args.taps):
        n = tap % len(GUARDS)
        camera.show(args.orl / f"s{GUARDS[n]}" / f"{4 + tap % 7}.pgm")  # exposure: before the tap
        watch.laps = {}
        mock.tap(_UIDS[args.reader](n + 1))
        started = time.perf_counter()
        with watch.lap("read"):
            card = reader.read(2.0)
        if card is None:
            raise RuntimeError(f"tap {tap} was not read")
        result = pipeline.handle(card)
        elapsed = time.perf_counter() - started
        if result is None or result.event is None:
            raise RuntimeError(f"tap {tap} gave no event")
        if tap >= 0:
            totals.append(elapsed)
            laps.append(dict(watch.laps))
        while reader.read(0.12) is not None:  # let repeats of this tap pass (EM4100 repeats)
            pass
    return totals, laps


def _row(
    size: int, kind: str, load_s: float, totals: Sequence[float], laps: Sequence[dict[str, float]]
) -> dict[str, object]:
    ms = np.array(totals) * 1000
    row: dict[str, object] = {
        "size": size,
        "index": kind,
        "load_s": load_s,
        "taps": len(totals),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
    }
    staged = np.zeros(len(totals))
    for stage in STAGES:
        values = np.array([lap.get(stage, 0.0) for lap in laps]) * 1000
        staged += values
        row[f"{stage}_p50_ms"] = float(np.percentile(values, 50))
    row["other_p50_ms"] = float(np.percentile(ms - staged, 50))
    return row
