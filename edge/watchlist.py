"""Wanted persons on the terminal (网上逃犯): 1:N face search and exact ID-number match.

Owns the watchlist file (an uncompressed .npz read with ``allow_pickle=False``: a
JSON header with the list version, issue time and entries, a float32 template
matrix, the owner entry of each template row, and for large lists the trained,
filled faiss index), and the search index seam: exact search (normalised matrix @
query) by default, an IVF index over 8-bit-quantised vectors (faiss) for large
lists. A large list is loaded without rebuilding its index, and its float32
templates stay memory-mapped from the file (read only to save or update the list),
so the process holds the index (~137 bytes a row), not 512 bytes a row besides it.
"""

from __future__ import annotations

import hashlib
import json
import logging
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
EMPTY_VERSION = "empty"
_IVF_KEEP_MIN_ROWS = 1000  # below this an inverted index saves nothing


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


class Watchlist:
    """One immutable version of the list; a new version is a new object, swapped in whole."""

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
        self.version = version
        self.issued_at = issued_at  # when central issued this version; None for a locally built list
        self.entries: Sequence[WatchlistEntry] = entries if isinstance(entries, EntryColumns) else tuple(entries)
        self._embeddings = embeddings  # memory-mapped from the file for a loaded approximate list
        self._owners = owners
        self.index: VectorIndex = index if index is not None else build_index(embeddings, approximate=False)
        ids = _column(self.entries, "id_number")
        self._by_id_number = {_normalise_id_number(n): i for i, n in enumerate(ids) if n}  # -> entry position

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def template_count(self) -> int:
        return len(self._owners)

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
        """Each entry with its template rows (the inverse of ``build``)."""
        order = np.argsort(self._owners, kind="stable")
        bounds = np.searchsorted(self._owners[order], np.arange(len(self.entries) + 1))
        return [
            (entry, np.asarray(self._embeddings[order[bounds[i] : bounds[i + 1]]], dtype=np.float32))
            for i, entry in enumerate(self.entries)
        ]

    def updated(
        self,
        upserts: Iterable[tuple[WatchlistEntry, Iterable[npt.ArrayLike]]],
        removed: Iterable[str],
        version: str | None = None,
        *,
        approximate: bool | None = None,
        issued_at: datetime | None = None,
    ) -> Watchlist:
        """A new version: ``removed`` entry ids dropped, ``upserts`` added or replacing their entry_id."""
        new = [(entry, as_template_matrix(rows)) for entry, rows in upserts]
        drop = set(removed) | {entry.entry_id for entry, _ in new}
        kept = [i for i, entry_id in enumerate(_column(self.entries, "entry_id")) if entry_id not in drop]
        remap = np.full(len(self.entries), -1, dtype=np.int32)
        remap[kept] = np.arange(len(kept), dtype=np.int32)
        owner = remap[self._owners] if len(self._owners) else np.empty(0, np.int32)
        rows = owner >= 0
        entries = [self.entries[i] for i in kept] + [entry for entry, _ in new]
        blocks = [np.asarray(self._embeddings[rows], dtype=np.float32), *(block for _, block in new)]
        owners = [owner[rows], *(np.full(len(b), len(kept) + k, np.int32) for k, (_, b) in enumerate(new))]
        matrix = np.concatenate(blocks).astype(np.float32, copy=False)
        owners_all = np.concatenate(owners).astype(np.int32, copy=False)
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
        if len(self._owners) == 0:
            return None
        row, score = self.index.search(normalise(embedding))
        return self.entries[int(self._owners[row])], score

    def match_id_number(self, id_number: str) -> WatchlistEntry | None:
        position = self._by_id_number.get(_normalise_id_number(id_number))
        return None if position is None else self.entries[position]

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
        """Write the list atomically (uncompressed, so that a load can memory-map the templates)."""
        header = {
            "format": FORMAT,
            "version": self.version,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "model": MODEL_ID,
            "entries": {name: _column(self.entries, name) for name in _FIELDS},
        }
        arrays = {
            "header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), np.uint8),
            "embeddings": np.asarray(self._embeddings, dtype="<f4"),  # no copy of a mapped matrix
            "owners": self._owners.astype("<i4"),
        }
        if isinstance(self.index, IvfIndex):
            arrays["ivf_index"] = self.index.to_array()  # trained and filled: a load does not rebuild it
        with atomic_writer(path) as handle:
            np.savez(handle, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path, approximate: bool | None = None) -> Watchlist:
        """Read a watchlist file; raises TemplateFileError if malformed or of another face model."""
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
            issued = datetime.fromisoformat(header["issued_at"]) if header.get("issued_at") else None
            found = index or build_index(embeddings, wanted)
            return cls(str(header["version"]), entries, embeddings, owners, found, issued)
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, ValueError, struct.error) as exc:
            raise TemplateFileError(f"not a watchlist file ({FORMAT}): {path}: {exc}") from exc


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
