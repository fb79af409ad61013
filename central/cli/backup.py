"""``guardpost central backup DIR`` and ``guardpost central restore DIR``.

A backup directory holds::

    manifest.json        format, time, software version, schema revision, rows per table, SHA-256 of every file
    database.sqlite3     or database.pgdump (pg_dump custom format): central.db.backup
    files/photos/...     check-in photos (<data_dir>/photos)
    files/watchlist/...  wanted persons' portraits (<data_dir>/watchlist)

The database is copied first, then the files: a photo is written before its
row (central.checkins.store), so every row in the copy has its photo. The
manifest is written last, whole or not at all: a directory without one is an
unfinished backup. A restore goes into an empty database and an empty file
store only, checks the backup against its manifest first, and the restored
rows and files against it after.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from central.cli.common import CommandError, load

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from central.config import CentralSettings

T = TypeVar("T")
FORMAT: Literal["guardpost.backup/1"] = "guardpost.backup/1"
MANIFEST = "manifest.json"
FILE_DIRS = ("photos", "watchlist")  # under data_dir; in the backup under files/


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["guardpost.backup/1"] = FORMAT
    created_at: AwareDatetime
    software_version: str
    backend: Literal["sqlite", "postgresql"]
    database_file: str
    revision: str | None
    tables: dict[str, int]
    files: dict[str, str]  # path in the backup -> SHA-256, the database file included


def backup(args: argparse.Namespace) -> int:
    from central.db import backup as copies
    from central.db import migrations
    from protocol.version import __version__

    settings = load(args)
    target: Path = args.dir
    _new_directory(target)
    engine = _engine(settings)
    try:
        revision = migrations.current(engine)
        database_file, tables = _guarded(lambda: copies.dump(engine, target))
        backend = copies.backend(engine)
    finally:
        engine.dispose()
    for name in FILE_DIRS:
        _copy_tree(settings.data_dir / name, target / "files" / name)
    manifest = Manifest(
        created_at=datetime.now(UTC), software_version=__version__, backend=backend,
        database_file=database_file, revision=revision, tables=tables, files=_hashes(target),
    )  # fmt: skip
    _write_manifest(target / MANIFEST, manifest)
    print(f"备份完成 / backup written to {target}: {_summary(manifest)}")
    return 0


def restore(args: argparse.Namespace) -> int:
    from central.db import backup as copies

    settings = load(args)
    source: Path = args.dir
    manifest = _read_manifest(source)
    _check_intact(source, manifest)
    engine = _engine(settings)
    try:
        _check_target(engine, settings, manifest)
        engine.dispose()  # SQLite: no connection of ours open while the file is replaced
        _guarded(lambda: copies.load(engine, source / manifest.database_file))
        for name in FILE_DIRS:
            _copy_tree(source / "files" / name, settings.data_dir / name)
        _verify(engine, settings.data_dir, manifest)
    finally:
        engine.dispose()
    print(f"恢复完成，核对无误 / restored and verified from {source}: {_summary(manifest)}")
    return 0


def _engine(settings: CentralSettings) -> Engine:
    from central.db.engine import make_engine

    # No ID-number key: sealed numbers are copied as they are stored.
    return make_engine(settings.database_url_resolved)


def _guarded(step: Callable[[], T]) -> T:
    from central.db.backup import BackupError

    try:
        return step()
    except BackupError as exc:
        raise CommandError(str(exc)) from exc


def _new_directory(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CommandError(
            f"备份目录须为新建或空目录 / {target} exists and is not an empty directory: choose a new one"
        )
    target.mkdir(parents=True, exist_ok=True)


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _hashes(root: Path, under: str = "") -> dict[str, str]:
    """SHA-256 of every file below ``root / under`` (the manifest aside), by path relative to ``root``."""
    start = root / under
    paths = sorted(p for p in start.rglob("*") if p.is_file()) if start.is_dir() else []
    return {p.relative_to(root).as_posix(): _sha256(p) for p in paths if p.relative_to(root).as_posix() != MANIFEST}


def _write_manifest(path: Path, manifest: Manifest) -> None:
    from shared.files import atomic_writer

    with atomic_writer(path) as handle:
        handle.write(manifest.model_dump_json(indent=2).encode())


def _read_manifest(source: Path) -> Manifest:
    path = source / MANIFEST
    if not path.is_file():
        raise CommandError(f"不是完整的备份 / {source} has no {MANIFEST}: not a backup, or an unfinished one")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise CommandError(f"备份清单无法读取 / {path} is not a {FORMAT} manifest: {exc.errors()[0]['msg']}") from exc


def _check_intact(source: Path, manifest: Manifest) -> None:
    from central.db import migrations

    differing = _differences(manifest.files, _hashes(source))
    if differing:
        raise CommandError(
            f"备份已损坏，未恢复 / the backup does not match its manifest, nothing restored: {differing}"
        )
    if manifest.revision is not None and not migrations.known(manifest.revision):
        raise CommandError(
            f"备份来自更新的版本 / the backup's schema revision {manifest.revision} is newer than this software: "
            "restore it with the release that made it"
        )


def _check_target(engine: Engine, settings: CentralSettings, manifest: Manifest) -> None:
    from central.db.backup import backend, used_tables

    if backend(engine) != manifest.backend:
        raise CommandError(
            f"数据库类型不符 / the backup is of a {manifest.backend} database, the target is {backend(engine)}"
        )
    used = used_tables(engine)
    if used:
        rows = ", ".join(f"{name} {count}" for name, count in sorted(used.items())[:5])
        raise CommandError(
            f"目标数据库不是空的，拒绝恢复 / the target database is not empty ({rows} rows …): "
            "restore only into a new, empty database (PostgreSQL: createdb; SQLite: a new data_dir)"
        )
    stored = [name for name in FILE_DIRS if _hashes(settings.data_dir, name)]
    if stored:
        raise CommandError(
            f"目标照片目录不是空的，拒绝恢复 / data_dir already holds files in {', '.join(stored)}: use a new data_dir"
        )


def _verify(engine: Engine, data_dir: Path, manifest: Manifest) -> None:
    from central.db.backup import table_counts

    with engine.connect() as connection:
        counts = table_counts(connection)
    wrong = _differences(manifest.tables, counts)
    restored = {f"files/{path}": digest for name in FILE_DIRS for path, digest in _hashes(data_dir, name).items()}
    expected = {path: digest for path, digest in manifest.files.items() if path.startswith("files/")}
    wrong += _differences(expected, restored)
    if wrong:
        raise CommandError(f"恢复后核对不符 / the restored data does not match the manifest: {wrong}")


def _differences(expected: Mapping[str, object], found: Mapping[str, object]) -> list[str]:
    names = sorted(set(expected) | set(found))
    wrong = [
        f"{name}: {expected.get(name)} != {found.get(name)}" for name in names if expected.get(name) != found.get(name)
    ]
    return wrong[:5] + ([f"… {len(wrong) - 5} more"] if len(wrong) > 5 else [])


def _summary(manifest: Manifest) -> str:
    rows = sum(manifest.tables.values())
    files = sum(1 for path in manifest.files if path.startswith("files/"))
    return f"{len(manifest.tables)} tables, {rows} rows, {files} files, schema {manifest.revision}"
