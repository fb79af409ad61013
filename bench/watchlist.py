"""Watchlist search: query latency p50/p95, recall@1 against exact search, index memory.

Synthetic list: ``--size`` random unit vectors (one template per entry). Queries are mated
searches: a listed vector plus Gaussian noise giving a cosine of about 0.7 with it, as a new
photo of a listed person does. Recall@1 counts queries whose best row equals exact search's.
Memory: the list is saved and loaded in a fresh process, as a terminal starts; ``rss_MB`` is
that process's resident memory after the load, ``list_MB`` its growth over the same process
with the libraries imported, ``peak_MB`` its high-water mark, ``load_s`` the load time.
Targets (2 cores): p50 <= 5 ms at 100k exact; at 1M p50 <= 5 ms, recall@1 >= 0.99, <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.watchlist import Watchlist, WatchlistEntry
from edge.watchlist_index import APPROX_MIN_ROWS, ExactIndex, IvfIndex, VectorIndex
from shared.face import EMBEDDING_DIM

NOISE = 0.09  # per dimension: cosine 1 / sqrt(1 + 128 * 0.09**2) ~ 0.70 with the listed vector


def _unit(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    rng = np.random.default_rng(args.seed)
    matrix = _unit(rng.standard_normal((args.size, EMBEDDING_DIM), dtype=np.float32))
    targets = rng.integers(0, args.size, size=args.queries)
    queries = _unit(matrix[targets] + rng.normal(scale=NOISE, size=(args.queries, EMBEDDING_DIM)).astype(np.float32))
    exact = ExactIndex(matrix)
    kinds = ["exact", "ivf"] if args.index == "auto" and args.size >= APPROX_MIN_ROWS else [args.index]
    rows = []
    for kind in ["exact" if k == "auto" else k for k in kinds]:
        started = time.perf_counter()
        index: VectorIndex = exact if kind == "exact" else IvfIndex.build(matrix)
        build_s = time.perf_counter() - started
        row = _measure(index, exact, matrix, queries, build_s)
        if not args.no_load:
            row.update(_load_in_fresh_process(index, matrix))
        rows.append(row)
    return rows


# Run in a fresh interpreter: resident memory before and after loading the saved list.
_PROBE = """
import gc, json, sys, time
import faiss, numpy
from edge.watchlist import Watchlist

def kib(key):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key))

before = kib("VmRSS:")
started = time.perf_counter()
watchlist = Watchlist.load(sys.argv[1], approximate=sys.argv[2] == "ivf-sq8")
load_s = time.perf_counter() - started
gc.collect()
for row in numpy.random.default_rng(1).standard_normal((200, 128), dtype=numpy.float32):
    watchlist.search(row)
print(json.dumps({"kind": watchlist.index.kind, "load_s": load_s, "before": before,
                  "after": kib("VmRSS:"), "peak": kib("VmHWM:")}))
"""


def _load_in_fresh_process(index: VectorIndex, matrix: npt.NDArray[np.float32]) -> dict[str, object]:
    entries = [WatchlistEntry(f"W-{i:07d}", "") for i in range(len(matrix))]
    owners = np.arange(len(matrix), dtype=np.int32)
    with tempfile.TemporaryDirectory(prefix="bench-watchlist-") as tmp:
        path = Path(tmp) / "watchlist.npz"
        Watchlist("bench", entries, matrix, owners, index).save(path)
        del entries
        probe = [sys.executable, "-c", _PROBE, str(path), index.kind]
        out = subprocess.run(probe, capture_output=True, text=True, check=False)  # noqa: S603 - our own code
        if out.returncode != 0:
            raise RuntimeError(f"loading the saved list failed: {out.stderr.strip()[-2000:]}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        file_mb = path.stat().st_size / 1e6
    if figures["kind"] != index.kind:
        raise RuntimeError(f"loaded a {figures['kind']} index, saved {index.kind}")
    return {
        "file_MB": file_mb,
        "load_s": figures["load_s"],
        "rss_MB": figures["after"] / 1024,
        "list_MB": (figures["after"] - figures["before"]) / 1024,
        "peak_MB": figures["peak"] / 1024,
    }


def _measure(
    index: VectorIndex,
    exact: ExactIndex,
    matrix: npt.NDArray[np.float32],
    queries: npt.NDArray[np.float32],
    build_s: float,
) -> dict[str, object]:
    entries = [WatchlistEntry(f"W-{i}", "") for i in range(len(matrix))]
    watchlist = Watchlist("bench", entries, matrix, np.arange(len(matrix), dtype=np.int32), index)
    latencies, agree, score_error = [], 0, 0.0
    for query in queries:
        started = time.perf_counter()
        found = watchlist.search(query)
        latencies.append(time.perf_counter() - started)
        assert found is not None
        row, score = exact.search(query)
        agree += found[0] is entries[row]
        score_error = max(score_error, abs(found[1] - score)) if found[0] is entries[row] else score_error
    ms = np.array(latencies) * 1000
    return {
        "index": index.kind,
        "size": len(matrix),
        "queries": len(queries),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "recall@1": agree / len(queries),
        "max_score_error": score_error,
        "index_MB": index.nbytes / 1e6,
        "build_s": build_s,
    }
