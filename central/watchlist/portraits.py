"""Where the wanted persons' photos are kept: files under ``data_dir`` (one host) or the database (any number).

Central keeps one photo per entry, re-encoded from the upload (``central.watchlist.faces``);
the police page shows it beside the check-in photo. It follows the check-in photos'
store (``photo_store``): with ``"database"`` a photo saved by the editor on one host
is shown by a worker on another. Photos are replaced whole and removed with their entry.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from central.db.types import utcnow
from central.watchlist.models import WatchlistPortrait
from shared.files import atomic_writer


class Portraits(Protocol):
    def save(self, entry_id: str, jpeg: bytes) -> None:
        """Replace the entry's photo whole (a reader sees the old one or the new one)."""

    def remove(self, entry_id: str) -> None: ...

    def get(self, entry_id: str) -> bytes | None: ...

    def present(self, entry_ids: Collection[str]) -> set[str]:
        """The entries of ``entry_ids`` that have a photo."""


def _safe(entry_id: str) -> bool:
    """An id that names a file and nothing else (ids are W-<hex> or the registry's own)."""
    return bool(entry_id) and entry_id.replace("-", "").replace("_", "").isalnum()


class FilePortraits:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "watchlist"

    def _path(self, entry_id: str) -> Path | None:
        return self.folder / f"{entry_id}.jpg" if _safe(entry_id) else None

    def save(self, entry_id: str, jpeg: bytes) -> None:
        path = self._path(entry_id)
        if path is None:
            raise ValueError(f"not an entry id: {entry_id!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as handle:
            handle.write(jpeg)

    def remove(self, entry_id: str) -> None:
        path = self._path(entry_id)
        if path is not None:
            path.unlink(missing_ok=True)

    def get(self, entry_id: str) -> bytes | None:
        path = self._path(entry_id)
        return path.read_bytes() if path is not None and path.is_file() else None

    def present(self, entry_ids: Collection[str]) -> set[str]:
        return {e for e in entry_ids if (path := self._path(e)) is not None and path.is_file()}


class DatabasePortraits:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, entry_id: str, jpeg: bytes) -> None:
        with Session(self.engine) as session:
            row = session.get(WatchlistPortrait, entry_id) or WatchlistPortrait(entry_id=entry_id, jpeg=b"")
            row.jpeg, row.updated_at = jpeg, utcnow()
            session.add(row)
            session.commit()

    def remove(self, entry_id: str) -> None:
        with Session(self.engine) as session:
            session.exec(delete(WatchlistPortrait).where(col(WatchlistPortrait.entry_id) == entry_id))
            session.commit()

    def get(self, entry_id: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.exec(select(WatchlistPortrait.jpeg).where(WatchlistPortrait.entry_id == entry_id)).first()

    def present(self, entry_ids: Collection[str]) -> set[str]:
        if not entry_ids:
            return set()
        query = select(WatchlistPortrait.entry_id).where(col(WatchlistPortrait.entry_id).in_(list(entry_ids)))
        with Session(self.engine) as session:
            return set(session.exec(query).all())


def portraits_for(backend: str, data_dir: Path, engine: Engine) -> Portraits:
    """The store of ``photo_store`` (``"files"`` or ``"database"``)."""
    return DatabasePortraits(engine) if backend == "database" else FilePortraits(data_dir)
