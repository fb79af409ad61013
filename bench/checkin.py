"""Check-in, card read to decision: p50/p95/max per watchlist size, and where the time goes.

Each tap goes through a real reader driver on a pty served by a firmware mock (PN532 or
EM4100), an HTTP snapshot from the mock camera serving ORL faces (x2 on a 640 x 480
frame), the real face models, 1:1 against the enrolled card holder, the watchlist loaded
from its file (0, 10k, 100k, 1M synthetic entries), and the outbox commit
(SQLite, ``synchronous=FULL``). Camera exposure is excluded: the frame is on show before
the tap. Stages: ``read`` (tap on the line to ``read()`` returning), ``snapshot`` (HTTP
GET and JPEG decode), ``face`` (detect, gate, embed), ``watchlist`` (1:N and ID-number
match), ``outbox`` (commit), ``other`` (the photo's JPEG re-encode, 1:1, the decision);
``overhead`` is read + snapshot + watchlist + outbox, everything timed outside the face models.
Targets (2 cores): p50 <= 100 ms, p95 <= 150 ms with 100k; overhead p50 <= 5 ms at 1M.
``--roster N``: the card holders are found on a terminal roster of N guards (each with three templates),
loaded from its file as at a terminal's start, instead of the local enrolment.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
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
from edge.roster import Roster, RosterEntry
from edge.watchlist import Watchlist, WatchlistEntry
from edge.watchlist_index import build_index
from firmware_mocks.camera import MockCamera
from firmware_mocks.readers import create_mock
from protocol.cards import CardNumber, from_tap, match_keys
from protocol.checkin import CardKind, CheckinEvent, WatchlistCheck
from protocol.roster_update import RosterGuard
from protocol.signed import encode_template
from shared.face import EMBEDDING_DIM, FaceAnalysis, FaceEngine, FaceSettings

STAGES = ("read", "snapshot", "face", "watchlist", "outbox")
GUARDS = (3, 4, 5, 6, 7)  # ORL people enrolled from shots 1-3, probed with shots 4-10
# One per family of bench.arguments.CHECKIN_READERS (tests/bench/test_cli.py checks).
_UIDS = {"pn532": lambda i: f"{i:08X}", "em4100": lambda i: f"{i:010X}"}
_KINDS = {"pn532": CardKind.MIFARE, "em4100": CardKind.EM4100}


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


def _roster_guard(guard_id: str, card_keys: list[str], templates: Iterable[npt.NDArray[np.float32]]) -> RosterGuard:
    wire = [encode_template(t.astype("<f4").tobytes()) for t in templates]
    return RosterGuard(guard_id=guard_id, name=guard_id, card_keys=card_keys, templates=wire, certificate="valid")


def synthetic_roster(enrolment: Enrolment, size: int, reader: str, seed: int, folder: Path) -> tuple[Roster, float]:
    """The enrolled guards plus synthetic ones up to ``size``, saved and loaded as a terminal would."""
    kind = _KINDS[reader]
    rng = np.random.default_rng(seed)
    guards = [_roster_guard(g.guard_id, match_keys(_number(kind, g.card_uid)), g.templates) for g in enrolment.guards()]
    for i in range(len(guards), size):
        matrix = rng.standard_normal((3, EMBEDDING_DIM), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        guards.append(_roster_guard(f"R{i}", match_keys(_number(kind, _UIDS[reader](0x100000 + i))), matrix))
    entries = [RosterEntry.of(g) for g in guards]
    issued = datetime.now(UTC)
    Roster(entries, version="bench", issued_at=issued, on=issued.date(), terminal_id="T-BENCH").save(
        folder / "roster.json"
    )
    started = time.perf_counter()
    loaded = Roster.load(folder / "roster.json")
    return loaded, time.perf_counter() - started


def _number(kind: CardKind, uid: str) -> CardNumber:
    number = from_tap(kind, uid)
    assert number is not None, "the bench's readers deliver card numbers"
    return number


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
        roster, roster_load_s = Roster(), 0.0
        if args.roster:
            roster, roster_load_s = synthetic_roster(enrolment, args.roster, args.reader, args.seed, Path(tmp))
            enrolment = Enrolment()  # the card holders are found on the roster only
        for size in sizes:
            watchlist, load_s = synthetic_watchlist(size, args.seed, Path(tmp))
            timed = _timed(watchlist, watch)
            row = _measure(args, engine, enrolment, timed, roster, Path(tmp), watch, load_s)
            rows.append({"roster": len(roster), "roster_load_s": roster_load_s} | row)
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
    roster: Roster,
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
            "T-BENCH", snapshot, engine, engine.settings, enrolment, watchlist, outbox, repeat_window_s=0, roster=roster
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
        if result is None or result.event is None or not result.event.face.enrolled:
            raise RuntimeError(f"tap {tap} gave no event of an enrolled card holder")
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
    face = np.array([lap.get("face", 0.0) for lap in laps]) * 1000
    row["overhead_p50_ms"] = float(np.percentile(staged - face, 50))  # per tap, then the median
    return row
