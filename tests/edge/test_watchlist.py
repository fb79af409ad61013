"""Watchlist: 1:N search on real faces, ID-number match, the wire object, the file, the index seam."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from edge.errors import TemplateFileError
from edge.watchlist import EMPTY_VERSION, Watchlist, WatchlistEntry, build_watchlist
from edge.watchlist_index import ExactIndex, build_index
from protocol.checkin import WatchlistCheck
from shared.face import Embedding, FaceEngine
from tests.fixtures.faces import frame, load_engine, orl_path

WANTED = [
    WatchlistEntry("W-0007", "赵某", "11010519491231002X", "案件 A-17"),
    WatchlistEntry("W-0010", "钱某", None),
    WatchlistEntry("W-0012", "孙某", "440106198001010011"),
]
WANTED_PERSONS = (7, 10, 12)


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine()


@pytest.fixture(scope="module")
def watchlist(engine: FaceEngine) -> Watchlist:
    items = [(entry, [orl_path(p, n) for n in (1, 2, 3)]) for entry, p in zip(WANTED, WANTED_PERSONS, strict=True)]
    return build_watchlist(engine, items, version="2025-06-01.1")


def _probe(engine: FaceEngine, person: int, shot: int) -> Embedding:
    embedding = engine.analyse(frame(person, shot)).embedding
    assert embedding is not None
    return embedding


@pytest.mark.parametrize(("person", "entry_id"), [(7, "W-0007"), (10, "W-0010"), (12, "W-0012")])
def test_wanted_person_is_found(engine: FaceEngine, watchlist: Watchlist, person: int, entry_id: str) -> None:
    found = watchlist.search(_probe(engine, person, 9))
    assert found is not None
    assert found[0].entry_id == entry_id
    assert found[1] >= engine.settings.watchlist_threshold


@pytest.mark.parametrize("person", [3, 20, 33])
def test_innocent_guard_raises_no_hit(engine: FaceEngine, watchlist: Watchlist, person: int) -> None:
    check = watchlist.check(_probe(engine, person, 1), None, engine.settings.watchlist_threshold)
    assert check == WatchlistCheck(list_version="2025-06-01.1", checked=True, hit=None)
    found = watchlist.search(_probe(engine, person, 1))
    assert found is not None  # a best candidate always exists; the threshold decides
    assert found[1] < engine.settings.watchlist_threshold


def test_check_reports_a_face_hit(engine: FaceEngine, watchlist: Watchlist) -> None:
    check = watchlist.check(_probe(engine, 7, 10), None, 0.5)
    assert check.checked
    assert check.list_version == "2025-06-01.1"
    assert check.hit is not None
    assert (check.hit.entry_id, check.hit.matched_by, check.hit.threshold) == ("W-0007", "face", 0.5)
    assert 0.5 <= check.hit.score <= 1.0


def test_id_number_match_wins(engine: FaceEngine, watchlist: Watchlist) -> None:
    assert watchlist.match_id_number("11010519491231002x") == WANTED[0]
    assert watchlist.match_id_number("110105194912310000") is None
    check = watchlist.check(_probe(engine, 3, 1), " 440106198001010011", 0.5)
    assert check.hit is not None
    assert (check.hit.entry_id, check.hit.matched_by, check.hit.score) == ("W-0012", "id_number", 1.0)


def test_nothing_to_compare(watchlist: Watchlist) -> None:
    assert watchlist.check(None, None, 0.5) == WatchlistCheck(list_version="2025-06-01.1", checked=False)
    assert watchlist.check(None, "110105194912310000", 0.5).checked


def test_empty_watchlist() -> None:
    empty = Watchlist.empty()
    assert len(empty) == 0
    assert empty.version == EMPTY_VERSION
    assert empty.search(np.ones(128)) is None
    assert empty.match_id_number("11010519491231002X") is None
    assert empty.check(np.ones(128), None, 0.5) == WatchlistCheck(list_version=EMPTY_VERSION, checked=True)


def test_round_trip(tmp_path: Path, engine: FaceEngine, watchlist: Watchlist) -> None:
    path = tmp_path / "watchlist.npz"
    watchlist.save(path)
    loaded = Watchlist.load(path)
    assert loaded.version == "2025-06-01.1"
    assert loaded.entries == watchlist.entries
    probe = _probe(engine, 12, 7)
    assert loaded.search(probe) == watchlist.search(probe)
    empty_path = tmp_path / "empty.npz"
    Watchlist.empty().save(empty_path)
    assert Watchlist.load(empty_path).search(probe) is None


def test_save_replaces_atomically(tmp_path: Path, watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "watchlist.npz"
    Watchlist.empty().save(path)
    watchlist.save(path)
    assert Watchlist.load(path).version == "2025-06-01.1"

    def crash(fd: int) -> None:
        raise OSError("disk failed")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk failed"):
        Watchlist.empty().save(path)
    assert Watchlist.load(path).version == "2025-06-01.1"
    assert [p.name for p in tmp_path.iterdir()] == ["watchlist.npz"]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 broken", b"\x93NUMPY garbage"])
def test_malformed_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(TemplateFileError):
        Watchlist.load(path)


def test_pickled_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, header=np.array([{"format": "x"}], dtype=object), embeddings=np.zeros((0, 128)), owners=[])
    with pytest.raises(TemplateFileError):
        Watchlist.load(path)


def test_with_entry_adds_and_replaces(watchlist: Watchlist) -> None:
    rng = np.random.default_rng(1)
    added = watchlist.with_entry(WatchlistEntry("W-0099", "李某"), [rng.normal(size=128)])
    assert [e.entry_id for e in added.entries] == ["W-0007", "W-0010", "W-0012", "W-0099"]
    assert added.version != watchlist.version
    replaced = added.with_entry(WatchlistEntry("W-0007", "赵某某"), [rng.normal(size=128)])
    assert [e.name for e in replaced.entries if e.entry_id == "W-0007"] == ["赵某某"]
    assert len(replaced) == 4
    assert len(watchlist) == 3  # versions are immutable


def test_build_version_is_a_content_digest() -> None:
    vector = np.ones(128)
    a = Watchlist.build([(WatchlistEntry("W-1", "a"), [vector])])
    b = Watchlist.build([(WatchlistEntry("W-1", "a"), [vector])])
    c = Watchlist.build([(WatchlistEntry("W-1", "b"), [vector])])
    assert a.version == b.version != c.version


def test_exact_index_is_the_default_for_small_lists() -> None:
    assert isinstance(build_index(np.eye(128, dtype=np.float32)), ExactIndex)


@pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
def test_approximate_index_agrees_with_exact() -> None:
    rng = np.random.default_rng(7)
    gallery = rng.normal(size=(5000, 128)).astype(np.float32)
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    entries = [(WatchlistEntry(f"W-{i}", f"n{i}"), [row]) for i, row in enumerate(gallery)]
    exact = Watchlist.build(entries, approximate=False)
    approximate = Watchlist.build(entries, approximate=True)
    assert approximate.index.kind == "ivf-pq4"
    assert approximate.index.nbytes < exact.index.nbytes
    queries = gallery[:200] + rng.normal(scale=0.08, size=(200, 128)).astype(np.float32)
    agree = 0
    for query in queries:
        want, got = exact.search(query), approximate.search(query)
        assert want is not None
        assert got is not None
        if want[0] == got[0]:
            agree += 1
            assert got[1] == pytest.approx(want[1], abs=0.01)  # 8-bit quantisation error only
    assert agree / len(queries) >= 0.95  # 1M-row recall is measured by bench/watchlist.py
