"""Search indexes over a watchlist's templates: exact (normalised matrix @ query) and IVF (faiss).

The watchlist picks one by size (``build_index``); both answer the nearest
template row and its cosine score. The IVF index holds 4-bit product-quantised codes
scanned with faiss's fast-scan kernels and re-scores its best candidates exactly from
the float32 templates (read from the list file), so the score compared with the
threshold is the exact one. Lists saved with 8-bit scalar-quantised codes (IVF-SQ8,
before) are still read and searched as they were.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import IO, TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from shared.face import EMBEDDING_DIM, Embedding

if TYPE_CHECKING:
    import faiss

logger = logging.getLogger(__name__)

# Above this many template rows an approximate index is built when faiss is installed: exact
# search stays under ~5 ms p50 on two cores up to here (bench/watchlist.py).
APPROX_MIN_ROWS = 200_000
# Inverted lists per sqrt(rows): 4000 lists of ~250 rows at 1M. Finer lists than sqrt(N) let a query
# scan a smaller share of the rows for the same chance of reaching its mate's list.
IVF_LISTS_PER_SQRT = 4
# Rows scanned per query, as whole lists: 8 % of the rows, at least 40,000 and at most 80,000.
# Product-quantised codes (32 bytes a row, fast-scan) are scanned at 80,000 rows in about a
# millisecond on two shared cores: 8 % of the lists at 1M (320 of 4000); at 200k the floor gives
# 20 % (0.8 ms, every planted mate found), where 40 % took 1.2 ms for nothing more. Measured with
# ORL mates planted among synthetic templates (docs/scale.md).
IVF_SCAN_SHARE = 0.08
IVF_SCAN_ROWS = (40_000, 80_000)
# Indexes of 8-bit codes (saved before) cost about twice as much a row: they keep their 40,000 rows.
SQ8_SCAN_ROWS = 40_000
# Product quantiser: 64 sub-vectors of 2 dimensions, 4 bits each (32 bytes a row).
PQ_SUBVECTORS = 64
# Candidates the codes propose per query, re-scored exactly from the float32 templates.
RERANK = 32
# Indexes saved before the lists were refined have sqrt(N) lists and need a much larger share.
_COARSE_PROBE_FRACTION = 0.35
_KMEANS_ITERATIONS = 10  # found mates as well as faiss's default 25 rounds on the bench's list, in less build time


def ivf_lists(rows: int) -> int:
    """Inverted lists for a list of ``rows`` templates."""
    return max(1, int(IVF_LISTS_PER_SQRT * np.sqrt(rows)))


def scan_rows(rows: int) -> int:
    """Rows' worth of lists a query probes in a list of ``rows`` (IVF_SCAN_SHARE within IVF_SCAN_ROWS)."""
    low, high = IVF_SCAN_ROWS
    return int(min(max(IVF_SCAN_SHARE * rows, low), high))


def probes(nlist: int, rows: int, scanned: int | None = None) -> int:
    """Lists to probe per query: ``scanned`` rows' worth (default ``scan_rows``), or a wide share for an
    index with the old, coarser lists."""
    scanned = scan_rows(rows) if scanned is None else scanned
    fraction = min(1.0, scanned / max(rows, 1)) if nlist >= ivf_lists(rows) // 2 else _COARSE_PROBE_FRACTION
    return max(1, int(np.ceil(fraction * nlist)))


class TemplateRows:
    """Chosen rows of the float32 template matrix, for re-scoring candidates exactly.

    A matrix memory-mapped from the list file is read with ``pread`` (a few hundred bytes per
    candidate): mapping the rows in would leave every page a search ever touched resident.
    """

    __slots__ = ("__weakref__", "_fd", "_matrix", "_offset")

    def __init__(self, matrix: npt.NDArray[np.float32]) -> None:
        self._matrix = matrix
        self._fd: int | None = None
        self._offset = 0
        if isinstance(matrix, np.memmap) and matrix.filename is not None and matrix.dtype == np.dtype("<f4"):
            self._fd = os.open(matrix.filename, os.O_RDONLY)
            self._offset = int(matrix.offset)
            weakref.finalize(self, os.close, self._fd)

    def take(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        if self._fd is None:
            return np.asarray(self._matrix[rows], dtype=np.float32)
        size = EMBEDDING_DIM * 4
        data = b"".join(os.pread(self._fd, size, self._offset + int(row) * size) for row in rows)
        return np.frombuffer(data, dtype="<f4").reshape(len(rows), EMBEDDING_DIM)


class RowFilter:
    """The rows a search may answer with (the others are removed from the list, not yet from the index).

    Held as a bit per row; the faiss selector over it is made once and reused by every search.
    """

    __slots__ = ("_bits", "_lock", "_selector", "allowed")

    def __init__(self, allowed: npt.NDArray[np.bool_]) -> None:
        self.allowed = allowed
        self._bits: npt.NDArray[np.uint8] | None = None
        self._selector: faiss.IDSelectorBitmap | None = None
        self._lock = threading.Lock()

    def selector(self) -> faiss.IDSelectorBitmap:
        """A faiss IDSelectorBitmap over the allowed rows (row number = id in the index).

        Made once and kept: a search in flight holds only faiss's pointer to it and its bits.
        """
        with self._lock:
            if self._selector is None:
                import faiss  # noqa: F811

                self._bits = np.packbits(self.allowed, bitorder="little")  # bit i & 7 of byte i >> 3
                self._selector = faiss.IDSelectorBitmap(len(self._bits), faiss.swig_ptr(self._bits))
            return self._selector


class VectorIndex(Protocol):
    """Nearest template row to a normalised query, by inner product (= cosine).

    ``rows`` limits the answer to the allowed rows; a search with every row removed answers row -1.
    """

    kind: str

    @property
    def nbytes(self) -> int: ...

    def search(self, query: Embedding, rows: RowFilter | None = None) -> tuple[int, float]: ...

    def top(self, query: Embedding, k: int, rows: RowFilter | None = None) -> list[tuple[int, float]]: ...


class ExactIndex:
    kind = "exact"

    def __init__(self, matrix: npt.NDArray[np.float32]) -> None:
        self._matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def nbytes(self) -> int:
        return int(self._matrix.nbytes)

    def search(self, query: Embedding, rows: RowFilter | None = None) -> tuple[int, float]:
        scores = self._scores(query, rows)
        row = int(np.argmax(scores))
        return (row, float(scores[row])) if np.isfinite(scores[row]) else (-1, float("-inf"))

    def _scores(self, query: Embedding, rows: RowFilter | None) -> npt.NDArray[np.float32]:
        scores = self._matrix @ query
        if rows is not None:
            scores[~rows.allowed] = -np.inf
        return scores

    def top(self, query: Embedding, k: int, rows: RowFilter | None = None) -> list[tuple[int, float]]:
        """The ``k`` best rows, best first."""
        scores = self._scores(query, rows)
        k = min(k, int(np.count_nonzero(scores > -np.inf)))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        return [(int(r), float(scores[r])) for r in best[np.argsort(-scores[best], kind="stable")]]


class IvfIndex:
    """Inverted lists over quantised rows (faiss); probes ``nprobe`` lists.

    Built with 4-bit product-quantised codes (fast-scan, 32 bytes a row and 8 of id): the codes
    rank the probed rows, the best ``RERANK`` are re-scored exactly from the float32 templates
    (``use_templates``), so the score returned is the exact cosine. An index of 8-bit scalar
    codes (saved before) is searched on its codes' scores, within 0.01 of the exact ones.

    Centroids come from spherical k-means: templates are unit vectors searched by inner product,
    and unnormalised centroids would draw queries to the lists with the longest centroid rather
    than the nearest in angle.
    """

    def __init__(
        self,
        index: faiss.IndexIVFPQFastScan | faiss.IndexIVFScalarQuantizer,
        templates: npt.NDArray[np.float32] | None = None,
    ) -> None:
        import faiss  # noqa: F811

        self._index = index
        self._reranked = isinstance(index, faiss.IndexIVFPQFastScan)
        self.kind = "ivf-pq4" if self._reranked else "ivf-sq8"
        self._templates = TemplateRows(templates) if templates is not None else None

    def use_templates(self, templates: npt.NDArray[np.float32]) -> None:
        """The float32 rows (in id order) that candidates are re-scored from: the list file's, mapped."""
        if len(templates) != self._index.ntotal:
            raise ValueError(f"{len(templates)} templates for an index of {self._index.ntotal} rows")
        self._templates = TemplateRows(templates)

    @classmethod
    def build(cls, matrix: npt.NDArray[np.float32]) -> IvfIndex:
        import faiss  # noqa: F811 - optional at run time: only large lists need it

        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        nlist = min(ivf_lists(len(rows)), len(rows))
        quantizer = faiss.IndexFlatIP(EMBEDDING_DIM)
        index = faiss.IndexIVFPQFastScan(quantizer, EMBEDDING_DIM, nlist, PQ_SUBVECTORS, 4, faiss.METRIC_INNER_PRODUCT)
        index.by_residual = False  # codes of the rows themselves: one table per query, not per list
        index.cp.spherical = True
        index.cp.niter = _KMEANS_ITERATIONS
        index.cp.min_points_per_centroid = 1  # a small list's few rows per centroid are still worth it
        # k-means on a sample: a few dozen points per list is enough and keeps the build short; at
        # least 50k rows so that the codebooks cover the data.
        sample = rows[np.random.default_rng(0).permutation(len(rows))[: max(40 * nlist, 50_000)]]
        index.train(sample)
        index.add(rows)
        index.nprobe = probes(nlist, len(rows))
        return cls(index, matrix)

    @property
    def nbytes(self) -> int:
        """Codes and ids of the inverted lists plus the coarse centroids (serialising would copy it all)."""
        index = self._index
        code_size = PQ_SUBVECTORS // 2 if self._reranked else index.code_size
        return int(index.ntotal * (code_size + 8) + index.nlist * EMBEDDING_DIM * 4)

    def probe(self, fraction: float) -> None:
        """Probe this share of the lists from now on (benchmarks compare shares on one index)."""
        self._index.nprobe = max(1, int(np.ceil(fraction * self._index.nlist)))

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def to_array(self) -> npt.NDArray[np.uint8]:
        import faiss  # noqa: F811

        return np.asarray(faiss.serialize_index(self._index), dtype=np.uint8)

    @classmethod
    def read(cls, stream: IO[bytes]) -> IvfIndex:
        """The index as ``to_array`` stored it, streamed (no second copy in memory); nothing rebuilt."""
        import faiss  # noqa: F811

        try:
            reader = faiss.PyCallbackIOReader(stream.read, 1 << 20)  # type: ignore[attr-defined]  # not in the stubs
            index = faiss.read_index(reader)  # already downcast
        except RuntimeError as exc:
            raise ValueError(f"stored index unreadable: {exc}") from exc
        kinds = (faiss.IndexIVFPQFastScan, faiss.IndexIVFScalarQuantizer)
        if not isinstance(index, kinds) or index.d != EMBEDDING_DIM:
            raise ValueError(f"stored index is {type(index).__name__} of dimension {index.d}")
        scanned = None if isinstance(index, faiss.IndexIVFPQFastScan) else SQ8_SCAN_ROWS
        index.nprobe = probes(index.nlist, index.ntotal, scanned)
        return cls(index)

    def search(self, query: Embedding, rows: RowFilter | None = None) -> tuple[int, float]:
        found = self.top(query, 1, rows)
        return found[0] if found else (-1, float("-inf"))

    def top(self, query: Embedding, k: int, rows: RowFilter | None = None) -> list[tuple[int, float]]:
        """The ``k`` best rows found in the probed lists, best first (fewer if they hold fewer)."""
        params = None
        if rows is not None:
            import faiss  # noqa: F811

            params = faiss.SearchParametersIVF()
            params.sel = rows.selector()  # the RowFilter keeps it (and its bits) alive
            params.nprobe = self._index.nprobe
        wanted = max(k, RERANK) if self._reranked and self._templates is not None else k
        scores, found = self._index.search(query.reshape(1, -1), wanted, params=params)
        keep = found[0] >= 0
        ids, scores = found[0][keep], scores[0][keep]
        if wanted != k:
            ids = np.sort(ids)  # file order: the reads go forward
            assert self._templates is not None
            scores = self._templates.take(ids) @ query
            order = np.argsort(-scores, kind="stable")[:k]
            ids, scores = ids[order], scores[order]
        return [(int(r), float(s)) for r, s in zip(ids, scores, strict=True)]


def build_index(matrix: npt.NDArray[np.float32], approximate: bool | None = None) -> VectorIndex:
    """Exact below APPROX_MIN_ROWS (or when asked), else IVF with re-ranked 4-bit PQ if faiss is installed."""
    wanted = len(matrix) >= APPROX_MIN_ROWS if approximate is None else approximate
    if wanted:
        try:
            return IvfIndex.build(matrix)
        except ImportError:
            logger.warning("faiss not installed: exact search over %d templates", len(matrix))
    return ExactIndex(matrix)
