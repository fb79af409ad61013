"""Check-in photos on disk: ``<data_dir>/photos/YYYY/MM/DD/<event_id>.jpg``, written durably.

The files are written before the database rows are committed, so a committed
(and receipted) check-in always has its photo. A batch's photos are written
together: each to a temporary file, each file fsynced, renamed into place, and
then each directory fsynced once for the batch (not once per photo, which
capped ingest with photos at a few hundred events per second). The path
depends only on the event, so a re-delivered event finds its photo already in
place and leaves it untouched.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

logger = logging.getLogger(__name__)

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="photo-fsync")


def photo_relpath(event_id: UUID, occurred_at: datetime) -> Path:
    """Where the event's photo lives, relative to the data dir (dated by UTC capture time)."""
    day = occurred_at.astimezone(UTC)
    return Path("photos") / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / f"{event_id}.jpg"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(data_dir: Path, directory: Path) -> set[Path]:
    """Create ``directory`` and its missing parents; the directories whose entries changed (to fsync)."""
    changed = {directory}  # a rename into it, at least
    missing = [p for p in (directory, *directory.parents) if p.is_relative_to(data_dir) and not p.exists()]
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        changed.add(path.parent)  # the new directory's own entry
    return changed


def _write_tmp(target: Path, jpeg: bytes) -> Path:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(jpeg)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def write_photos(data_dir: Path, photos: Iterable[tuple[Path, bytes]]) -> None:
    """Write each (relpath, jpeg) durably: tmp + fsync + rename, then each directory fsynced once.

    A photo already in place is left as it is, but its directory is fsynced
    too: an earlier attempt may have renamed it and failed before that.
    Raises OSError; then the batch must not be committed.
    """
    dirs: set[Path] = set()
    made: set[Path] = set()  # a batch's photos share a day's directory or two: each made (or found) once
    pending: list[tuple[Path, bytes]] = []
    for relpath, jpeg in photos:
        target = data_dir / relpath
        if target.parent not in made:
            dirs |= _make_dirs(data_dir, target.parent)
            made.add(target.parent)
        if not target.exists():
            pending.append((target, jpeg))
    # Concurrent fsyncs share the file system's journal commits; one after another, each waits for its own.
    tmps = (
        list(_POOL.map(lambda item: _write_tmp(*item), pending))
        if len(pending) > 1
        else [_write_tmp(*item) for item in pending]
    )
    for tmp, (target, _jpeg) in zip(tmps, pending, strict=True):
        tmp.replace(target)
    for directory in sorted(dirs, key=lambda p: len(p.parts), reverse=True):  # deepest first
        _fsync_dir(directory)


def write_photo(data_dir: Path, relpath: Path, jpeg: bytes) -> None:
    """Write one photo durably (``write_photos`` of one); a no-op if it exists."""
    write_photos(data_dir, [(relpath, jpeg)])


def read_photo(data_dir: Path, relpath: str) -> Path | None:
    """The absolute path of a stored photo, or None if it is missing or escapes the data dir."""
    root = data_dir.resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _day_dirs(photos: Path) -> list[tuple[date, Path]]:
    """The ``photos/YYYY/MM/DD`` directories with their (UTC) dates."""
    found: list[tuple[date, Path]] = []
    for path in photos.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]"):
        try:
            found.append((date(int(path.parent.parent.name), int(path.parent.name), int(path.name)), path))
        except ValueError:
            logger.warning("retention: %s is not a photo day directory; left alone", path)
    return sorted(found)


def purge_photos(data_dir: Path, cutoff: datetime, keep: set[str]) -> int:
    """Delete photo files of UTC days wholly before ``cutoff``, except the event ids in ``keep``."""
    deleted = 0
    for day, directory in _day_dirs(data_dir / "photos"):
        if datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) > cutoff:
            break
        for photo in directory.glob("*.jpg"):
            if photo.stem in keep:
                continue
            photo.unlink(missing_ok=True)
            deleted += 1
            logger.debug("retention: deleted photo %s", photo.name)
        if not any(directory.iterdir()):
            directory.rmdir()
    return deleted
