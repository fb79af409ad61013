"""Wanted persons on the terminal (网上逃犯): 1:N face search and exact ID-number match.

Owns the watchlist file (a .npz read with ``allow_pickle=False``: a JSON header
with the list version and entries, a float32 template matrix, the owner entry of
each template row, and optionally a serialised approximate index), and the search
index seam: exact search (normalised matrix @ query) by default, an IVF index over
8-bit-quantised vectors (faiss) for large lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from edge.enrolment import as_template_matrix, enroll_images
from edge.face import EMBEDDING_DIM, MODEL_ID, Embedding, FaceEngine, TemplateFileError, atomic_writer, normalise
from protocol.checkin import WatchlistCheck, WatchlistHit

if TYPE_CHECKING:
    import faiss

logger = logging.getLogger(__name__)

FORMAT = "guardpost.watchlist/1"
EMPTY_VERSION = "empty"
# Above this many template rows an approximate index is built when faiss is installed: exact
# search stays under ~5 ms p50 on two cores up to here (bench/watchlist.py).
APPROX_MIN_ROWS = 200_000
# Fraction of the inverted lists probed per query. Measured on uniformly random unit vectors (the
# worst case: real templates cluster) at 1M rows: 0.35 gives recall@1 >= 0.99 at ~4 ms (bench/watchlist.py).
IVF_PROBE_FRACTION = 0.35


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    entry_id: str
    name: str
    id_number: str | None = None  # resident ID number (18 characters), upper-case X
    note: str = ""  # e.g. case reference, shown to the police with an alert


class VectorIndex(Protocol):
    """Nearest template row to a normalised query, by inner product (= cosine)."""

    kind: str

    @property
    def nbytes(self) -> int: ...

    def search(self, query: Embedding) -> tuple[int, float]: ...


class ExactIndex:
    kind = "exact"

    def __init__(self, matrix: npt.NDArray[np.float32]) -> None:
        self._matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def nbytes(self) -> int:
        return int(self._matrix.nbytes)

    def search(self, query: Embedding) -> tuple[int, float]:
        scores = self._matrix @ query
        row = int(np.argmax(scores))
        return row, float(scores[row])


class IvfIndex:
    """IVF over 8-bit scalar-quantised rows (faiss): about 136 bytes a row; probes ``nprobe`` lists.

    Scores carry the quantisation error (measured by bench/watchlist.py), far below threshold margins.
    """

    kind = "ivf-sq8"

    def __init__(self, index: faiss.IndexIVFScalarQuantizer) -> None:
        self._index = index

    @classmethod
    def build(cls, matrix: npt.NDArray[np.float32], probe_fraction: float = IVF_PROBE_FRACTION) -> IvfIndex:
        import faiss  # noqa: F811 - optional at run time: only large lists need it

        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        nlist = max(1, int(np.sqrt(len(rows))))
        quantizer = faiss.IndexFlatIP(EMBEDDING_DIM)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, EMBEDDING_DIM, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        # k-means on a sample: a few dozen points per list is enough and keeps the build short; at
        # least 50k rows so that the 8-bit ranges cover the data (clipped rows mis-score).
        sample = rows[np.random.default_rng(0).permutation(len(rows))[: max(40 * nlist, 50_000)]]
        index.train(sample)
        index.add(rows)
        index.nprobe = max(1, int(np.ceil(probe_fraction * nlist)))
        return cls(index)

    @property
    def nbytes(self) -> int:
        import faiss  # noqa: F811

        return int(faiss.serialize_index(self._index).nbytes)

    def search(self, query: Embedding) -> tuple[int, float]:
        scores, rows = self._index.search(query.reshape(1, -1), 1)
        return int(rows[0, 0]), float(scores[0, 0])


def build_index(matrix: npt.NDArray[np.float32], approximate: bool | None = None) -> VectorIndex:
    """Exact below APPROX_MIN_ROWS (or when asked), else IVF-SQ8 if faiss is installed."""
    wanted = len(matrix) >= APPROX_MIN_ROWS if approximate is None else approximate
    if wanted:
        try:
            return IvfIndex.build(matrix)
        except ImportError:
            logger.warning("faiss not installed: exact search over %d templates", len(matrix))
    return ExactIndex(matrix)


def _normalise_id_number(id_number: str) -> str:
    return id_number.strip().upper()


class Watchlist:
    """One immutable version of the list; a new version is a new object, swapped in whole."""

    def __init__(
        self,
        version: str,
        entries: Sequence[WatchlistEntry],
        embeddings: npt.NDArray[np.float32],
        owners: npt.NDArray[np.int32],
        index: VectorIndex | None = None,
    ) -> None:
        if len(embeddings) != len(owners) or (len(owners) and int(owners.max()) >= len(entries)):
            raise ValueError("every template row needs an owner entry")
        self.version = version
        self.entries: tuple[WatchlistEntry, ...] = tuple(entries)
        self._embeddings = embeddings
        self._owners = owners
        self.index: VectorIndex = index if index is not None else build_index(embeddings, approximate=False)
        self._by_id_number = {_normalise_id_number(e.id_number): e for e in self.entries if e.id_number}

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def empty(cls) -> Watchlist:
        return cls(EMPTY_VERSION, [], np.empty((0, EMBEDDING_DIM), np.float32), np.empty(0, np.int32))

    @classmethod
    def build(
        cls,
        items: Iterable[tuple[WatchlistEntry, Iterable[npt.ArrayLike]]],
        version: str | None = None,
        approximate: bool | None = None,
    ) -> Watchlist:
        """From entries and their templates; ``version`` defaults to a digest of the content."""
        entries: list[WatchlistEntry] = []
        blocks: list[npt.NDArray[np.float32]] = []
        owners: list[npt.NDArray[np.int32]] = []
        for entry, embeddings in items:
            block = as_template_matrix(embeddings)
            blocks.append(block)
            owners.append(np.full(len(block), len(entries), dtype=np.int32))
            entries.append(entry)
        matrix = np.concatenate(blocks) if blocks else np.empty((0, EMBEDDING_DIM), np.float32)
        owner = np.concatenate(owners) if owners else np.empty(0, np.int32)
        version = version or _digest(entries, matrix)
        return cls(version, entries, matrix, owner, build_index(matrix, approximate))

    def items(self) -> list[tuple[WatchlistEntry, npt.NDArray[np.float32]]]:
        """Each entry with its template rows (the inverse of ``build``)."""
        return [(entry, self._embeddings[self._owners == i]) for i, entry in enumerate(self.entries)]

    def with_entry(
        self, entry: WatchlistEntry, embeddings: Iterable[npt.ArrayLike], version: str | None = None
    ) -> Watchlist:
        """A new version with ``entry`` added, or replaced if its entry_id is already listed."""
        kept = [(e, rows) for e, rows in self.items() if e.entry_id != entry.entry_id]
        return Watchlist.build([*kept, (entry, list(embeddings))], version)

    def search(self, embedding: npt.ArrayLike) -> tuple[WatchlistEntry, float] | None:
        """Best-matching entry and its cosine score (the caller applies a threshold); None if empty."""
        if len(self._owners) == 0:
            return None
        row, score = self.index.search(normalise(embedding))
        return self.entries[int(self._owners[row])], score

    def match_id_number(self, id_number: str) -> WatchlistEntry | None:
        return self._by_id_number.get(_normalise_id_number(id_number))

    def check(self, embedding: npt.ArrayLike | None, id_number: str | None, threshold: float) -> WatchlistCheck:
        """The wire object: an ID-number match wins (score 1.0), else the best face match at ``threshold``."""
        checked = embedding is not None or bool(id_number)
        entry = self.match_id_number(id_number) if id_number else None
        if entry is not None:
            hit = WatchlistHit(entry_id=entry.entry_id, score=1.0, threshold=threshold, matched_by="id_number")
            return WatchlistCheck(list_version=self.version, checked=True, hit=hit)
        found = self.search(embedding) if embedding is not None else None
        if found is None or found[1] < threshold:
            return WatchlistCheck(list_version=self.version, checked=checked)
        hit = WatchlistHit(entry_id=found[0].entry_id, score=found[1], threshold=threshold, matched_by="face")
        return WatchlistCheck(list_version=self.version, checked=True, hit=hit)

    def save(self, path: Path) -> None:
        header = {
            "format": FORMAT,
            "version": self.version,
            "model": MODEL_ID,
            "entries": [asdict(e) for e in self.entries],
        }
        arrays = {
            "header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), np.uint8),
            "embeddings": self._embeddings.astype("<f4"),
            "owners": self._owners.astype("<i4"),
        }
        with atomic_writer(path) as handle:
            np.savez(handle, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path, approximate: bool | None = None) -> Watchlist:
        """Read a watchlist file; raises TemplateFileError if malformed or of another face model."""
        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                embeddings = np.asarray(archive["embeddings"], dtype=np.float32)
                owners = np.asarray(archive["owners"], dtype=np.int32)
            entries = [WatchlistEntry(**raw) for raw in header["entries"]]
            if header["format"] != FORMAT or embeddings.shape[1:] != (EMBEDDING_DIM,):
                raise ValueError(f"format {header['format']!r}, templates {embeddings.shape}")
            if header["model"] != MODEL_ID:
                raise TemplateFileError(f"{path} holds {header['model']} templates; this terminal uses {MODEL_ID}")
            return cls(str(header["version"]), entries, embeddings, owners, build_index(embeddings, approximate))
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, ValueError) as exc:
            raise TemplateFileError(f"not a watchlist file ({FORMAT}): {path}: {exc}") from exc


def _digest(entries: Sequence[WatchlistEntry], matrix: npt.NDArray[np.float32]) -> str:
    digest = hashlib.sha256(json.dumps([asdict(e) for e in entries], sort_keys=True).encode("utf-8"))
    digest.update(np.ascontiguousarray(matrix, dtype="<f4").tobytes())
    return digest.hexdigest()[:16]


def build_watchlist(
    engine: FaceEngine, items: Iterable[tuple[WatchlistEntry, Sequence[Path]]], version: str | None = None
) -> Watchlist:
    """A watchlist from entries and their photo files; a photo without a usable face is an error."""
    return Watchlist.build(((entry, enroll_images(engine, paths)) for entry, paths in items), version)
