"""Check-in photos of a batch: each file fsynced, each directory once, all before the commit."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.checkins.models import Checkin
from central.checkins.photos import photo_relpath, write_photos
from central.checkins.store import record_events
from tests.fixtures.central import DEFAULT_AT, add_terminal, make_event


@pytest.fixture(name="fsynced")
def fsynced_fixture(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Paths passed to os.fsync (what central.checkins.photos makes durable), counted."""
    counts: Counter[str] = Counter()
    real = os.fsync

    def fsync(fd: int) -> None:
        counts[os.readlink(f"/proc/self/fd/{fd}")] += 1
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return counts


def test_each_file_is_fsynced_and_each_directory_once(tmp_path: Path, fsynced: Counter[str]) -> None:
    days = [DEFAULT_AT] * 4 + [DEFAULT_AT + timedelta(days=1)]
    batch = [(photo_relpath(uuid.uuid4(), at), f"jpeg {n}".encode()) for n, at in enumerate(days)]
    write_photos(tmp_path, batch)

    for n, (relpath, jpeg) in enumerate(batch):
        assert (tmp_path / relpath).read_bytes() == jpeg == f"jpeg {n}".encode()
    files = [p for p in fsynced if p.endswith(".tmp")]  # fsynced before the rename into place
    directories = {str(tmp_path / relpath.parent) for relpath, _ in batch}
    assert len(files) == 5
    assert len(directories) == 2
    assert directories <= set(fsynced)
    assert str(tmp_path / "photos") in fsynced  # new directories' own entries are made durable too
    assert set(fsynced.values()) == {1}
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_photo_in_place_is_kept_and_its_directory_fsynced(tmp_path: Path, fsynced: Counter[str]) -> None:
    relpath = photo_relpath(uuid.uuid4(), DEFAULT_AT)
    write_photos(tmp_path, [(relpath, b"first")])
    fsynced.clear()
    write_photos(tmp_path, [(relpath, b"second")])  # a re-delivery
    assert (tmp_path / relpath).read_bytes() == b"first"
    assert list(fsynced) == [str(tmp_path / relpath.parent)]


def test_no_durable_photo_means_nothing_committed(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = add_terminal(sqlite_engine)
    events = [make_event(terminal, seq=n) for n in (1, 2)]

    def failing_fsync(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output"):
        record_events(sqlite_engine, events, data_dir=tmp_path, default_jurisdiction="110105-WJ")
    with Session(sqlite_engine) as session:
        assert all(session.get(Checkin, e.event_id) is None for e in events)
