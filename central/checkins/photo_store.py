"""Where check-in photos are kept: files under ``data_dir`` (one host) or rows in the database (any number).

Both stores take a batch of photos durably before the check-ins that name them
are committed, leave a photo already there untouched (a re-delivered event),
answer a photo by its key (``Checkin.photo_path``), delete whole UTC days for
retention, and say whether they can take a photo now (``/readyz``).

``files`` (the default) is ``central.checkins.photos``: fast, but only the host
that wrote a photo can serve it. ``database`` keeps each photo in ``photoblob``
on the same PostgreSQL every worker already shares, so a photo stored by a
worker on one host is served by a worker on another, and the database's own
backups, replicas and failover cover the photos too; docs/scale.md has the
figures and the reasons for it over an object store.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy import Engine, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, delete, select

from central.checkins.models import Checkin, PhotoBlob
from central.checkins.photos import purge_photos, read_photo, write_photos

PhotoBackend = Literal["files", "database"]


class PhotoStore(Protocol):
    def put(self, photos: Iterable[tuple[str, bytes]], session: Session | None = None) -> None:
        """Keep each (key, jpeg) durably; raises OSError or SQLAlchemyError (then commit nothing that names them).

        ``session``: the transaction that will commit the check-ins naming the photos. The
        database store writes into it (photos and check-ins commit together); files do not.
        """

    def get(self, key: str) -> bytes | None:
        """The photo under ``key``, or None."""

    def purge(self, cutoff: datetime, keep: set[str]) -> int:
        """Delete the photos of UTC days wholly before ``cutoff`` but the event ids in ``keep``; how many."""

    def check(self) -> str | None:
        """None when a photo can be stored now, else why not."""


def photo_day(key: str) -> date:
    """The UTC capture day in a key ``photos/YYYY/MM/DD/<event id>.jpg``."""
    parts = Path(key).parts
    return date(int(parts[-4]), int(parts[-3]), int(parts[-2]))


class FilePhotoStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def put(self, photos: Iterable[tuple[str, bytes]], session: Session | None = None) -> None:
        write_photos(self.data_dir, ((Path(key), jpeg) for key, jpeg in photos))

    def get(self, key: str) -> bytes | None:
        path = read_photo(self.data_dir, key)
        return path.read_bytes() if path is not None else None

    def purge(self, cutoff: datetime, keep: set[str]) -> int:
        return purge_photos(self.data_dir, cutoff, keep)

    def check(self) -> str | None:
        """Create and remove a file where photos go (the OS error's words only)."""
        photos = self.data_dir / "photos"
        try:
            photos.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".readyz.", dir=photos)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            return os.strerror(exc.errno) if exc.errno else "not writable"
        return None


class DatabasePhotoStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, photos: Iterable[tuple[str, bytes]], session: Session | None = None) -> None:
        rows = [{"key": key, "day": photo_day(key), "data": jpeg} for key, jpeg in photos]
        if not rows:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert_new = dialect.insert(PhotoBlob).values(rows).on_conflict_do_nothing(index_elements=["key"])
        if session is not None:
            session.execute(insert_new)  # committed with the check-ins
            return
        with Session(self.engine) as own:
            own.execute(insert_new)
            own.commit()

    def get(self, key: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.exec(select(PhotoBlob.data).where(PhotoBlob.key == key)).first()

    def purge(self, cutoff: datetime, keep: set[str]) -> int:
        last_day = (cutoff.astimezone(UTC) - timedelta(days=1)).date()  # days wholly before the cutoff
        kept = select(Checkin.photo_path).where(
            col(Checkin.event_id).in_([uuid.UUID(event_id) for event_id in keep]), col(Checkin.photo_path).is_not(None)
        )
        with Session(self.engine) as session:
            query = delete(PhotoBlob).where(col(PhotoBlob.day) <= last_day, col(PhotoBlob.key).not_in(kept))
            deleted = session.exec(query).rowcount
            session.commit()
        return int(deleted or 0)

    def check(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                connection.execute(insert(PhotoBlob).values(key=".ready", day=date(2000, 1, 1), data=b"ok"))
                connection.rollback()  # proves a write would be taken, keeps nothing
        except SQLAlchemyError as exc:
            return type(exc).__name__
        return None


def photo_store(backend: PhotoBackend, data_dir: Path, engine: Engine) -> PhotoStore:
    return DatabasePhotoStore(engine) if backend == "database" else FilePhotoStore(data_dir)
