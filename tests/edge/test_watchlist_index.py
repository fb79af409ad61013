"""The approximate watchlist index: planted ORL mates among synthetic templates, probes, old files."""

from __future__ import annotations

import argparse
import importlib.util
import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from bench.watchlist import synthetic_templates
from edge.watchlist import EntryColumns, Watchlist, WatchlistEntry
from edge.watchlist_index import (
    APPROX_MIN_ROWS,
    SQ8_SCAN_ROWS,
    ExactIndex,
    IvfIndex,
    ivf_lists,
    probes,
)
from shared.face import EMBEDDING_DIM
from tests.fixtures.faces import frame, load_engine, require_orl

needs_faiss = pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
PEOPLE = range(1, 41)
PROBE_SHOTS = (4, 9)  # image 1 is listed; these are new photos of the same person


def _unit_rows(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    rows = rng.standard_normal((n, EMBEDDING_DIM))
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


@pytest.mark.slow
@needs_faiss
def test_approximate_index_finds_planted_orl_mates() -> None:
    engine = load_engine()
    templates = {}
    for person in PEOPLE:
        for shot in (1, *PROBE_SHOTS):
            embedding = engine.analyse(frame(person, shot)).embedding
            if embedding is not None:
                templates[person, shot] = embedding
    listed = [p for p in PEOPLE if (p, 1) in templates]
    real = np.stack(list(templates.values()))
    rng = np.random.default_rng(3)
    matrix = synthetic_templates(real, APPROX_MIN_ROWS, rng)  # just large enough for the approximate index
    rows = rng.choice(len(matrix), size=len(listed), replace=False)
    matrix[rows] = [templates[p, 1] for p in listed]
    mate_of = {p: f"W-{row}" for p, row in zip(listed, rows, strict=True)}
    items = [(WatchlistEntry(f"W-{i}", ""), [row]) for i, row in enumerate(matrix)]
    approximate = Watchlist.build(items, "big")  # chosen by size
    exact = Watchlist.build(items, "big", approximate=False)
    assert isinstance(approximate.index, IvfIndex)
    assert approximate.index.nbytes < exact.index.nbytes / 3
    threshold = engine.settings.watchlist_threshold
    found_exactly = agreed = 0
    for (person, shot), probe in templates.items():
        if shot == 1 or person not in mate_of:
            continue
        want, got = exact.search(probe), approximate.search(probe)
        assert want is not None
        assert got is not None
        if want[0].entry_id != mate_of[person] or want[1] < threshold:
            continue  # the face model misses this one: nothing for the index to find
        found_exactly += 1
        if got[0].entry_id == mate_of[person]:
            agreed += 1
            assert got[1] == pytest.approx(want[1], abs=0.01)  # 8-bit quantisation error only
    assert found_exactly >= 60  # most of the 80 photos are found by the face model itself
    assert agreed / found_exactly >= 0.97  # 1M figures: docs/scale.md


@needs_faiss
def test_top_rows_agree_between_exact_and_approximate() -> None:
    matrix = _unit_rows(np.random.default_rng(11), 2000)
    exact, approximate = ExactIndex(matrix), IvfIndex.build(matrix)
    query = matrix[17]
    best = exact.top(query, 3)
    assert best[0] == pytest.approx((17, 1.0))
    assert best[0][1] >= best[1][1] >= best[2][1]
    assert exact.top(query, 1) == [exact.search(query)]
    got = approximate.top(query, 2)
    assert got[0][0] == 17  # a listed row is in the list its own query probes first
    assert got[0] == approximate.search(query)
    assert got[1][0] != 17


@needs_faiss
def test_lists_and_probes_scale_with_the_size() -> None:
    matrix = _unit_rows(np.random.default_rng(2), 4000)
    index = IvfIndex.build(matrix)
    faiss_index = index._index
    assert faiss_index.nlist == ivf_lists(4000) == 252
    assert faiss_index.nprobe == 252  # a small list is scanned whole: the row budget covers it
    assert faiss_index.cp.spherical  # centroids compared by angle, as the queries are
    assert (ivf_lists(1_000_000), probes(4000, 1_000_000)) == (4000, 320)  # 8 % of a million
    assert (ivf_lists(200_000), probes(1788, 200_000)) == (1788, 358)  # 20 % of 200k: at least 40,000 rows
    assert probes(ivf_lists(2_000_000), 2_000_000) == 227  # 4 % of 2M: at most 80,000 rows
    assert probes(4000, 1_000_000, SQ8_SCAN_ROWS) == 160  # 8-bit codes saved before: 4 %, as then


@needs_faiss
def test_an_index_saved_with_coarse_lists_keeps_a_wide_probe() -> None:
    import faiss

    matrix = _unit_rows(np.random.default_rng(4), 4000)
    nlist = int(np.sqrt(len(matrix)))  # how indexes were built before the lists were refined
    old = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(EMBEDDING_DIM), EMBEDDING_DIM, nlist, faiss.ScalarQuantizer.QT_8bit,
        faiss.METRIC_INNER_PRODUCT,
    )  # fmt: skip
    old.train(matrix)
    old.add(matrix)
    stored = io.BytesIO(faiss.serialize_index(old).tobytes())
    loaded = IvfIndex.read(stored)
    assert loaded._index.nlist == nlist
    assert loaded._index.nprobe == int(np.ceil(0.35 * nlist))  # the wide share its coarse lists need
    assert loaded.search(matrix[5])[0] == 5


@needs_faiss
def test_a_list_file_saved_with_8_bit_codes_is_still_searched_and_updated(tmp_path: Path) -> None:
    import faiss

    matrix = _unit_rows(np.random.default_rng(9), 4000)
    nlist = ivf_lists(len(matrix))  # as lists of 8-bit codes were built and saved before
    old = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(EMBEDDING_DIM), EMBEDDING_DIM, nlist, faiss.ScalarQuantizer.QT_8bit,
        faiss.METRIC_INNER_PRODUCT,
    )  # fmt: skip
    old.cp.spherical = True
    old.train(matrix)
    old.add(matrix)
    entries = [WatchlistEntry(f"W-{i}", "") for i in range(len(matrix))]
    path = tmp_path / "old.npz"
    Watchlist("r1", entries, matrix, np.arange(len(matrix), dtype=np.int32), IvfIndex(old)).save(path)
    loaded = Watchlist.load(path)
    assert loaded.index.kind == "ivf-sq8"
    assert isinstance(loaded.index, IvfIndex)
    assert loaded.index._index.nprobe == probes(nlist, len(matrix), SQ8_SCAN_ROWS)
    for row in (5, 1234, 3999):
        found = loaded.search(matrix[row])
        assert found is not None
        assert found[0].entry_id == f"W-{row}"
        assert found[1] == pytest.approx(1.0, abs=0.01)  # the codes' own score, as before
    newer = loaded.updated([(WatchlistEntry("W-new", ""), [matrix[5] + 0.01])], ["W-5"], "r2")
    newer.save(path)
    again = Watchlist.load(path)
    assert (again.version, again.index.kind) == ("r2", "ivf-sq8")
    found = again.search(matrix[5])
    assert found is not None
    assert found[0].entry_id == "W-new"


@pytest.mark.slow
@needs_faiss
def test_bench_watchlist_reports_mates_fpir_memory_and_load() -> None:
    from bench import watchlist as bench

    args = argparse.Namespace(
        size=20_000,
        queries=50,
        index="ivf",
        threshold=None,
        isotropic=1.0,
        orl=require_orl(),
        seed=0,
        no_load=False,
        probe_fractions="0.5",
    )
    row, wide = bench.run(args)
    assert row["index"] == "ivf-pq4"
    assert wide["probed"] == 0.5
    assert float(str(wide["mate_recall"])) >= float(str(row["mate_recall"]))  # more lists searched, no mate lost
    assert row["mated"] == 360
    keys = ("tpir", "mate_recall", "fpir", "load_s", "list_MB", "update_s", "reload_s")
    figures = {key: float(str(row[key])) for key in keys}
    assert 0.9 <= figures["tpir"] <= 1.0
    assert figures["mate_recall"] >= 0.95
    assert figures["fpir"] < 0.05  # synthetic people whose scores against ORL probes match ORL's own
    assert figures["load_s"] > 0
    assert figures["list_MB"] > 0
    assert 0 < figures["update_s"] < 5  # an overlay on the saved index, not a rebuild
    assert figures["reload_s"] > 0


def test_a_loaded_list_keeps_its_entries_as_columns(tmp_path: Path) -> None:
    rows = _unit_rows(np.random.default_rng(8), 3)
    entries = [
        WatchlistEntry("W-1", "赵某", "11010519491231002X", "案件 A-17"),
        WatchlistEntry("W-2", "钱某"),
        WatchlistEntry("W-3", "孙某", "440106198001010011"),
    ]
    built = Watchlist.build([(e, [r]) for e, r in zip(entries, rows, strict=True)], "v1")
    built.save(tmp_path / "list.npz")
    loaded = Watchlist.load(tmp_path / "list.npz")
    assert isinstance(loaded.entries, EntryColumns)  # no object per entry until one is asked for
    assert loaded.entries == built.entries
    assert list(loaded.entries[1:]) == entries[1:]
    assert loaded.match_id_number("11010519491231002x") == entries[0]
    assert loaded.match_id_number("440106198001010011") == entries[2]
    found = loaded.search(rows[1])
    assert found is not None
    assert found[0] == entries[1]
    smaller = loaded.updated([], ["W-1"])
    assert [e.entry_id for e in smaller.entries] == ["W-2", "W-3"]
    assert smaller.match_id_number("11010519491231002X") is None
