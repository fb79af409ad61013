"""Wanted persons on the terminal (网上逃犯): 1:N face search and exact ID-number match.

Owns the watchlist file (an uncompressed .npz read with ``allow_pickle=False``: a
JSON header with the list version, issue time and entries, a float32 template
matrix, the owner entry of each template row, and for large lists the trained,
filled faiss index), and the search index seam: exact search (normalised matrix @
query) by default, an IVF index over 8-bit-quantised vectors (faiss) for large
lists. A large list is loaded without rebuilding its index, and its float32
templates stay memory-mapped from the file (read only to save or update the list),
so the process holds the index (~40 bytes a row), not 512 bytes a row besides it; the
index re-scores its few best candidates from the file's rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt

from edge.enrolment import as_template_matrix, enroll_images
from edge.errors import TemplateFileError
from edge.watchlist_index import (
    APPROX_MIN_ROWS,
    IvfIndex,
    RowFilter,
    VectorIndex,
    build_index,
)
from protocol.checkin import WatchlistCheck, WatchlistHit
from shared.face import EMBEDDING_DIM, MODEL_ID, FaceEngine, normalise
from shared.files import atomic_writer

logger = logging.getLogger(__name__)

# /2 stores the entries column-wise (a list per field): at 1M entries, parsing a list of
# objects left ~200 MB of freed-but-held memory in the process. /1 files are still read.
FORMAT = "guardpost.watchlist/2"
_FORMATS = (FORMAT, "guardpost.watchlist/1")
_FIELDS = ("entry_id", "name", "id_number", "note")
DELTA_FORMAT = "guardpost.watchlist-overlay/1"
EMPTY_VERSION = "empty"
_IVF_KEEP_MIN_ROWS = 1000  # below this an inverted index saves nothing
# An overlay is searched exactly (its rows) and hides rows of the index: past these it is folded
# into a rebuilt list. 10,000 rows add ~0.2 ms to a search; a tenth of the rows hidden leaves
# the probed lists a tenth emptier.
OVERLAY_MAX_ROWS = 10_000
OVERLAY_MAX_HIDDEN_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    entry_id: str
    name: str
    id_number: str | None = None  # resident ID number (18 characters), upper-case X
    note: str = ""  # e.g. case reference, shown to the police with an alert


def _normalise_id_number(id_number: str) -> str:
    return id_number.strip().upper()


class EntryColumns(Sequence[WatchlistEntry]):
    """Entries held as the file stores them, a list per field; an entry object is made when asked for.

    A million frozen dataclass instances took ~4 s to create at load and ~100 MB to hold; a search
    needs one entry.
    """

    __slots__ = ("_columns",)

    def __init__(self, columns: dict[str, list[str | None]]) -> None:
        lengths = {len(columns[name]) for name in _FIELDS}
        if len(lengths) != 1:
            raise ValueError("entry columns of different lengths")
        self._columns = tuple(columns[name] for name in _FIELDS)

    def __len__(self) -> int:
        return len(self._columns[0])

    @overload
    def __getitem__(self, index: int) -> WatchlistEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[WatchlistEntry]: ...

    def __getitem__(self, index: int | slice) -> WatchlistEntry | Sequence[WatchlistEntry]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return WatchlistEntry(*(column[index] for column in self._columns))  # type: ignore[arg-type]  # columns typed loosely

    def __iter__(self) -> Iterator[WatchlistEntry]:
        for row in zip(*self._columns, strict=True):
            yield WatchlistEntry(*row)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def column(self, name: str) -> list[str | None]:
        return self._columns[_FIELDS.index(name)]


def _column(entries: Sequence[WatchlistEntry], name: str) -> list[str | None]:
    if isinstance(entries, EntryColumns):
        return entries.column(name)
    return [getattr(entry, name) for entry in entries]


class _Base:
    """A list as saved whole: entries, template rows and their index; shared by the versions overlaid on it."""

    __slots__ = ("by_id_number", "embeddings", "entries", "file", "index", "issued_at", "owners", "version")

    def __init__(
        self,
        version: str,
        entries: Sequence[WatchlistEntry],
        embeddings: npt.NDArray[np.float32],
        owners: npt.NDArray[np.int32],
        index: VectorIndex,
        issued_at: datetime | None,
    ) -> None:
        self.version, self.entries, self.embeddings, self.owners = version, entries, embeddings, owners
        self.index, self.issued_at = index, issued_at
        self.file: tuple[str, int, int, int] | None = None  # the file this base was loaded from or saved to
        ids = _column(entries, "id_number")
        self.by_id_number = {_normalise_id_number(n): i for i, n in enumerate(ids) if n}  # -> entry position


class _Overlay:
    """Incremental changes on top of a base with an approximate index, kept until the next full list.

    ``hidden`` marks the base entries removed or replaced since; the added entries' rows are
    searched exactly. Searching the base with its hidden rows filtered out and the added rows
    exactly answers as a list rebuilt from the entries present would (with the same index).
    """

    __slots__ = ("added_by_id_number", "embeddings", "entries", "hidden", "owners", "rows")

    def __init__(
        self,
        base: _Base,
        hidden: npt.NDArray[np.bool_],
        entries: Sequence[WatchlistEntry],
        embeddings: npt.NDArray[np.float32],
        owners: npt.NDArray[np.int32],
    ) -> None:
        if len(hidden) != len(base.entries) or len(embeddings) != len(owners):
            raise ValueError("overlay does not fit its base list")
        if len(owners) and int(owners.max()) >= len(entries):
            raise ValueError("every added template row needs an owner entry")
        self.hidden = hidden
        self.entries = tuple(entries)
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.owners = owners
        self.rows = RowFilter(~hidden[base.owners]) if hidden.any() else None
        ids = _column(self.entries, "id_number")
        self.added_by_id_number = {_normalise_id_number(n): i for i, n in enumerate(ids) if n}

    def header(self, version: str, base: _Base, issued_at: datetime | None) -> dict[str, object]:
        return {
            "format": DELTA_FORMAT,
            "version": version,
            "base_version": base.version,
            "issued_at": issued_at.isoformat() if issued_at else None,
            "model": MODEL_ID,
            "entries": {name: _column(self.entries, name) for name in _FIELDS},
        }

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {
            "hidden": np.flatnonzero(self.hidden).astype("<i4"),
            "embeddings": self.embeddings.astype("<f4"),
            "owners": self.owners.astype("<i4"),
        }


class Watchlist:
    """One immutable version of the list; a new version is a new object, swapped in whole.

    A large list (approximate index) takes incremental updates as an overlay on the saved
    list: removals hide rows from its index, additions are searched exactly beside it, and
    only the overlay is written (``<name>.delta.npz`` beside the list file). The next full
    list, or an overlay grown past ``OVERLAY_MAX_ROWS``, is built whole.
    """

    def __init__(
        self,
        version: str,
        entries: Sequence[WatchlistEntry],
        embeddings: npt.NDArray[np.float32],
        owners: npt.NDArray[np.int32],
        index: VectorIndex | None = None,
        issued_at: datetime | None = None,
    ) -> None:
        if len(embeddings) != len(owners) or (len(owners) and int(owners.max()) >= len(entries)):
            raise ValueError("every template row needs an owner entry")
        entries = entries if isinstance(entries, EntryColumns) else tuple(entries)
        index = index if index is not None else build_index(embeddings, approximate=False)
        # embeddings: memory-mapped from the file for a loaded approximate list
        self._set(_Base(version, entries, embeddings, owners, index, issued_at), None, version, issued_at)

    def _set(self, base: _Base, overlay: _Overlay | None, version: str, issued_at: datetime | None) -> None:
        self.version = version
        self.issued_at = issued_at  # when central issued this version; None for a locally built list
        self._base, self._overlay = base, overlay
        self._entries: Sequence[WatchlistEntry] | None = base.entries if overlay is None else None

    @classmethod
    def _overlaid(cls, base: _Base, overlay: _Overlay | None, version: str, issued_at: datetime | None) -> Watchlist:
        watchlist = cls.__new__(cls)
        watchlist._set(base, overlay, version, issued_at)
        return watchlist

    @property
    def entries(self) -> Sequence[WatchlistEntry]:
        """The entries present: the base's (less those removed or replaced), then those added since."""
        if self._entries is None:
            assert self._overlay is not None
            hidden = self._overlay.hidden
            kept = [entry for entry, gone in zip(self._base.entries, hidden.tolist(), strict=True) if not gone]
            self._entries = (*kept, *self._overlay.entries)
        return self._entries

    @property
    def index(self) -> VectorIndex:
        """The saved list's index (an overlay's added rows are searched beside it)."""
        return self._base.index

    @property
    def overlay_rows(self) -> int:
        """Template rows added since the saved list (searched exactly); 0 for a list built whole."""
        return 0 if self._overlay is None else len(self._overlay.owners)

    @property
    def mapped(self) -> bool:
        """Whether the base list's templates are memory-mapped from its file (not held in memory)."""
        return isinstance(self._base.embeddings, np.memmap)

    def __len__(self) -> int:
        if self._overlay is None:
            return len(self._base.entries)
        return len(self._base.entries) - int(self._overlay.hidden.sum()) + len(self._overlay.entries)

    @property
    def template_count(self) -> int:
        overlay = self._overlay
        if overlay is None:
            return len(self._base.owners)
        live = len(self._base.owners) if overlay.rows is None else int(overlay.rows.allowed.sum())
        return live + len(overlay.owners)

    @classmethod
    def empty(cls) -> Watchlist:
        return cls(EMPTY_VERSION, [], np.empty((0, EMBEDDING_DIM), np.float32), np.empty(0, np.int32))

    @classmethod
    def build(
        cls,
        items: Iterable[tuple[WatchlistEntry, Iterable[npt.ArrayLike]]],
        version: str | None = None,
        approximate: bool | None = None,
        issued_at: datetime | None = None,
    ) -> Watchlist:
        """From entries and their templates; ``version`` defaults to a digest of the content."""
        return cls.empty().updated(items, (), version, approximate=approximate, issued_at=issued_at)

    def items(self) -> list[tuple[WatchlistEntry, npt.NDArray[np.float32]]]:
        """Each entry present with its template rows (the inverse of ``build``)."""
        base, overlay = self._base, self._overlay
        found = _grouped(base.entries, base.embeddings, base.owners)
        if overlay is None:
            return found
        kept = [item for item, gone in zip(found, overlay.hidden.tolist(), strict=True) if not gone]
        return kept + _grouped(overlay.entries, overlay.embeddings, overlay.owners)

    def updated(
        self,
        upserts: Iterable[tuple[WatchlistEntry, Iterable[npt.ArrayLike]]],
        removed: Iterable[str],
        version: str | None = None,
        *,
        approximate: bool | None = None,
        issued_at: datetime | None = None,
    ) -> Watchlist:
        """A new version: ``removed`` entry ids dropped, ``upserts`` added or replacing their entry_id.

        A list with an approximate index is updated in place (an overlay on its base, no rebuild)
        while the overlay stays small and ``approximate`` is not asked to change; else rebuilt.
        """
        new = [(entry, as_template_matrix(rows)) for entry, rows in upserts]
        drop = set(removed) | {entry.entry_id for entry, _ in new}
        if approximate is not False and isinstance(self.index, IvfIndex):
            overlaid = self._overlay_updated(new, drop, version, issued_at)
            if overlaid is not None:
                return overlaid
        return self._rebuilt(new, drop, version, approximate, issued_at)

    def _overlay_updated(
        self,
        new: list[tuple[WatchlistEntry, npt.NDArray[np.float32]]],
        drop: set[str],
        version: str | None,
        issued_at: datetime | None,
    ) -> Watchlist | None:
        """The update as an overlay on this list's base, or None when it has grown past its limits."""
        base, old = self._base, self._overlay
        hidden = np.zeros(len(base.entries), dtype=bool) if old is None else old.hidden.copy()
        if drop:
            ids = _column(base.entries, "entry_id")
            hidden[[i for i, entry_id in enumerate(ids) if entry_id in drop]] = True
        entries: list[WatchlistEntry] = []
        blocks: list[npt.NDArray[np.float32]] = []
        owners: list[npt.NDArray[np.int32]] = []
        if old is not None:
            kept = [i for i, entry in enumerate(old.entries) if entry.entry_id not in drop]
            remap = np.full(len(old.entries), -1, dtype=np.int32)
            remap[kept] = np.arange(len(kept), dtype=np.int32)
            owner = remap[old.owners] if len(old.owners) else np.empty(0, np.int32)
            rows = owner >= 0
            entries = [old.entries[i] for i in kept]
            blocks, owners = [old.embeddings[rows]], [owner[rows]]
        for entry, block in new:
            owners.append(np.full(len(block), len(entries), np.int32))
            entries.append(entry)
            blocks.append(block)  # normalised rows
        matrix = np.concatenate(blocks) if blocks else np.empty((0, EMBEDDING_DIM), np.float32)
        owners_all = np.concatenate(owners).astype(np.int32, copy=False) if owners else np.empty(0, np.int32)
        hidden_rows = int(hidden[base.owners].sum()) if hidden.any() else 0
        if len(matrix) > OVERLAY_MAX_ROWS or hidden_rows > OVERLAY_MAX_HIDDEN_SHARE * len(base.owners):
            return None
        overlay = _Overlay(base, hidden, entries, matrix, owners_all)
        version = version or _overlay_digest(base.version, overlay)
        return Watchlist._overlaid(base, overlay, version, issued_at)

    def _rebuilt(
        self,
        new: list[tuple[WatchlistEntry, npt.NDArray[np.float32]]],
        drop: set[str],
        version: str | None,
        approximate: bool | None,
        issued_at: datetime | None,
    ) -> Watchlist:
        present = [(entry, rows) for entry, rows in self.items() if entry.entry_id not in drop]
        entries = [entry for entry, _ in present] + [entry for entry, _ in new]
        blocks = [rows for _, rows in present] + [block for _, block in new]
        owners = [np.full(len(block), k, np.int32) for k, block in enumerate(blocks)]
        matrix = (np.concatenate(blocks) if blocks else np.empty((0, EMBEDDING_DIM))).astype(np.float32, copy=False)
        owners_all = (np.concatenate(owners) if owners else np.empty(0)).astype(np.int32, copy=False)
        version = version or _digest(entries, matrix)
        if approximate is None and isinstance(self.index, IvfIndex) and len(matrix) >= _IVF_KEEP_MIN_ROWS:
            approximate = True  # a list made approximate on purpose stays so across updates
        return Watchlist(version, entries, matrix, owners_all, build_index(matrix, approximate), issued_at)

    def with_entry(
        self, entry: WatchlistEntry, embeddings: Iterable[npt.ArrayLike], version: str | None = None
    ) -> Watchlist:
        """A new version with ``entry`` added, or replaced if its entry_id is already listed."""
        return self.updated([(entry, list(embeddings))], (), version)

    def search(self, embedding: npt.ArrayLike) -> tuple[WatchlistEntry, float] | None:
        """Best-matching entry and its cosine score (the caller applies a threshold); None if empty."""
        base, overlay = self._base, self._overlay
        query = normalise(embedding)
        best: tuple[WatchlistEntry, float] | None = None
        if len(base.owners):
            row, score = base.index.search(query, None if overlay is None else overlay.rows)
            if row >= 0:
                best = base.entries[int(base.owners[row])], score
        if overlay is not None and len(overlay.owners):
            scores = overlay.embeddings @ query
            row = int(np.argmax(scores))
            if best is None or scores[row] > best[1]:
                best = overlay.entries[int(overlay.owners[row])], float(scores[row])
        return best

    def match_id_number(self, id_number: str) -> WatchlistEntry | None:
        key = _normalise_id_number(id_number)
        overlay = self._overlay
        if overlay is not None and key in overlay.added_by_id_number:
            return overlay.entries[overlay.added_by_id_number[key]]
        position = self._base.by_id_number.get(key)
        if position is None or (overlay is not None and overlay.hidden[position]):
            return None
        return self._base.entries[position]

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
        """Write the list atomically (uncompressed, so that a load can memory-map the templates).

        A list with an overlay writes only the overlay when ``path`` already holds its base list
        (well under a second at a million entries); otherwise the base list, then the overlay.
        """
        path = Path(path)
        base, overlay = self._base, self._overlay
        delta = delta_path(path)
        if overlay is None:
            _save_base(base, path, self.version, self.issued_at)
            delta.unlink(missing_ok=True)  # an overlay of the list this one replaces
            base.file = _identity(path)
            return
        if base.file is None or _identity(path) != base.file:
            delta.unlink(missing_ok=True)
            _save_base(base, path, base.version, base.issued_at)
            base.file = _identity(path)
        header = overlay.header(self.version, base, self.issued_at)
        arrays = {"header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), np.uint8)}
        with atomic_writer(delta) as handle:
            np.savez(handle, allow_pickle=False, **arrays, **overlay.arrays())

    @classmethod
    def load(cls, path: Path, approximate: bool | None = None) -> Watchlist:
        """Read a watchlist file (and the overlay saved beside it, if it was saved on this list).

        Raises TemplateFileError if either is malformed or of another face model.
        """
        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode("utf-8"))
                owners = np.asarray(archive["owners"], dtype=np.int32)
                _check_header(header, path)
                entries = _entries(header["entries"])
                stored = "ivf_index" in archive.files  # the saver chose an approximate index
                wanted = (stored or len(owners) >= APPROX_MIN_ROWS) if approximate is None else approximate
            index = _stored_index(Path(path), len(owners)) if wanted else None
            embeddings = _templates(Path(path), mapped=index is not None)
            if embeddings.shape != (len(owners), EMBEDDING_DIM):
                raise ValueError(f"templates {embeddings.shape} for {len(owners)} rows")
            if index is not None:
                index.use_templates(embeddings)  # candidates are re-scored from the file's float32 rows
            issued = datetime.fromisoformat(header["issued_at"]) if header.get("issued_at") else None
            found = index or build_index(embeddings, wanted)
            watchlist = cls(str(header["version"]), entries, embeddings, owners, found, issued)
            watchlist._base.file = _identity(Path(path))
            return _with_saved_overlay(watchlist, delta_path(Path(path)))
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, ValueError, struct.error) as exc:
            raise TemplateFileError(f"not a watchlist file ({FORMAT}): {path}: {exc}") from exc


def delta_path(path: Path) -> Path:
    """Where the overlay of a list saved at ``path`` is kept: ``watchlist.npz`` -> ``watchlist.delta.npz``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.delta{path.suffix}")


def _save_base(base: _Base, path: Path, version: str, issued_at: datetime | None) -> None:
    header = {
        "format": FORMAT,
        "version": version,
        "issued_at": issued_at.isoformat() if issued_at else None,
        "model": MODEL_ID,
        "entries": {name: _column(base.entries, name) for name in _FIELDS},
    }
    arrays = {
        "header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), np.uint8),
        "embeddings": np.asarray(base.embeddings, dtype="<f4"),  # no copy of a mapped matrix
        "owners": base.owners.astype("<i4"),
    }
    if isinstance(base.index, IvfIndex):
        arrays["ivf_index"] = base.index.to_array()  # trained and filled: a load does not rebuild it
    with atomic_writer(path) as handle:
        np.savez(handle, allow_pickle=False, **arrays)


def _identity(path: Path) -> tuple[str, int, int, int] | None:
    """Which file is at ``path`` now (a save replaces it with a new inode), or None if none is."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (str(Path(path).resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _with_saved_overlay(watchlist: Watchlist, delta: Path) -> Watchlist:
    """``watchlist`` with the overlay saved at ``delta`` applied, if one was saved on this version."""
    if not delta.exists():
        return watchlist
    base = watchlist._base
    with np.load(delta, allow_pickle=False) as archive:
        header = json.loads(bytes(archive["header"]).decode("utf-8"))
        if header["format"] != DELTA_FORMAT:
            raise ValueError(f"overlay format {header['format']!r}")
        if header["model"] != MODEL_ID:
            raise TemplateFileError(f"{delta} holds {header['model']} templates; this terminal uses {MODEL_ID}")
        if header["base_version"] != base.version:
            logger.warning("ignoring %s: made on list %s, not %s", delta, header["base_version"], base.version)
            return watchlist
        positions = np.asarray(archive["hidden"], dtype=np.int64)
        embeddings = np.asarray(archive["embeddings"], dtype=np.float32).reshape(-1, EMBEDDING_DIM)
        owners = np.asarray(archive["owners"], dtype=np.int32)
    hidden = np.zeros(len(base.entries), dtype=bool)
    hidden[positions] = True  # an index out of range raises IndexError: the file does not fit its base
    overlay = _Overlay(base, hidden, _entries(header["entries"]), embeddings, owners)
    issued = datetime.fromisoformat(header["issued_at"]) if header.get("issued_at") else None
    return Watchlist._overlaid(base, overlay, str(header["version"]), issued)


def _grouped(
    entries: Sequence[WatchlistEntry], embeddings: npt.NDArray[np.float32], owners: npt.NDArray[np.int32]
) -> list[tuple[WatchlistEntry, npt.NDArray[np.float32]]]:
    order = np.argsort(owners, kind="stable")
    bounds = np.searchsorted(owners[order], np.arange(len(entries) + 1))
    return [
        (entry, np.asarray(embeddings[order[bounds[i] : bounds[i + 1]]], dtype=np.float32))
        for i, entry in enumerate(entries)
    ]


def _overlay_digest(base_version: str, overlay: _Overlay) -> str:
    digest = hashlib.sha256(base_version.encode("utf-8"))
    digest.update(json.dumps([asdict(e) for e in overlay.entries], sort_keys=True).encode("utf-8"))
    for array in overlay.arrays().values():
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def _check_header(header: dict[str, object], path: Path) -> None:
    if header["format"] not in _FORMATS:
        raise ValueError(f"format {header['format']!r}")
    if header["model"] != MODEL_ID:
        raise TemplateFileError(f"{path} holds {header['model']} templates; this terminal uses {MODEL_ID}")


def _entries(stored: object) -> Sequence[WatchlistEntry]:
    if isinstance(stored, list):  # format /1: one object per entry
        return [WatchlistEntry(**raw) for raw in stored]
    if not isinstance(stored, dict) or set(stored) != set(_FIELDS):
        raise ValueError("entries are neither a list nor the columns " + ", ".join(_FIELDS))
    if not all(isinstance(stored[name], list) for name in _FIELDS):
        raise ValueError("entry columns are not lists")
    return EntryColumns(stored)


def _stored_index(path: Path, rows: int) -> IvfIndex | None:
    """The saved IVF index if the file has one for exactly these rows (and faiss is installed)."""
    with zipfile.ZipFile(path) as archive:
        if "ivf_index.npy" not in archive.namelist():
            return None
        with archive.open("ivf_index.npy") as stream:
            major, _ = np.lib.format.read_magic(stream)
            # Skip the .npy header: what follows is faiss's own serialisation.
            (np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0)(stream)
            try:
                index = IvfIndex.read(stream)
            except ImportError:
                return None
    return index if index.ntotal == rows else None


def _templates(path: Path, mapped: bool) -> npt.NDArray[np.float32]:
    """The template matrix: memory-mapped (read-only) when ``mapped`` and stored uncompressed, else read."""
    if mapped:
        view = map_npz_member(path, "embeddings.npy")
        if view is not None:
            return view
    with np.load(path, allow_pickle=False) as archive:
        return np.asarray(archive["embeddings"], dtype=np.float32)


def _digest(entries: Sequence[WatchlistEntry], matrix: npt.NDArray[np.float32]) -> str:
    digest = hashlib.sha256(json.dumps([asdict(e) for e in entries], sort_keys=True).encode("utf-8"))
    digest.update(np.ascontiguousarray(matrix, dtype="<f4").tobytes())
    return digest.hexdigest()[:16]


def build_watchlist(
    engine: FaceEngine, items: Iterable[tuple[WatchlistEntry, Sequence[Path]]], version: str | None = None
) -> Watchlist:
    """A watchlist from entries and their photo files; a photo without a usable face is an error."""
    return Watchlist.build(((entry, enroll_images(engine, paths)) for entry, paths in items), version)


def map_npz_member(path: Path, member: str) -> npt.NDArray[np.float32] | None:
    """A read-only memory map of an uncompressed little-endian float32 matrix inside a .npz, else None.

    ``np.load`` cannot map a member of an archive; ``np.savez`` stores members uncompressed, so the
    .npy bytes lie at a fixed offset in the file, after the zip local header.
    """
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if local[:4] != b"PK\x03\x04":
            raise ValueError(f"bad zip member header for {member}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_len + extra_len)
        major, _ = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(handle)
        offset = handle.tell()
    if fortran or dtype != np.dtype("<f4") or len(shape) != 2:
        return None
    return np.memmap(path, dtype=np.float32, mode="r", shape=shape, offset=offset)
