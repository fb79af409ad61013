"""Check-in photos on disk: ``<data_dir>/photos/YYYY/MM/DD/<event_id>.jpg``, written durably.

The file is written before the database row is committed, so a committed
check-in always has its photo. The path depends only on the event, so a
re-delivered event finds its photo already in place and leaves it untouched.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID


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


def write_photo(data_dir: Path, relpath: Path, jpeg: bytes) -> None:
    """Write ``jpeg`` via tmp + fsync + rename (+ directory fsync); a no-op if it exists."""
    target = data_dir / relpath
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(jpeg)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(target)
    _fsync_dir(target.parent)


def read_photo(data_dir: Path, relpath: str) -> Path | None:
    """The absolute path of a stored photo, or None if it is missing or escapes the data dir."""
    root = data_dir.resolve()
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
