"""Consistent copies of central's database, and loading one into an empty database.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the pages
of one read transaction, so ingest may keep writing meanwhile. PostgreSQL:
``pg_dump`` in custom format on a snapshot exported from a REPEATABLE READ
transaction, the same snapshot the row counts are read in, so counts and dump
agree to the row; ``pg_restore`` loads it. The client programs must be on PATH
(Debian: ``postgresql-client``) and no older than the server.

Counts and emptiness are read from the database itself (every table it has),
not from the models: a copy is checked against what was copied.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL

# A database holding only this table's one row was created and stamped, never used.
BOOKKEEPING = frozenset({"alembic_version"})
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


Backend = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A copy cannot be made or loaded; the message says why and what to do."""


def backend(engine: Engine) -> Backend:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, every table of the database, by name."""
    names = sorted(inspect(connection).get_table_names())
    return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def used_tables(engine: Engine) -> dict[str, int]:
    """The tables that hold rows (bookkeeping aside): empty means a database one may restore into."""
    with engine.connect() as connection:
        counts = table_counts(connection)
    return {name: rows for name, rows in counts.items() if rows and name not in BOOKKEEPING}


def dump(engine: Engine, directory: Path) -> tuple[str, dict[str, int]]:
    """Copy the database into ``directory``; the file's name and the row counts of the copy."""
    if backend(engine) == "sqlite":
        return SQLITE_FILE, _sqlite_dump(_sqlite_path(engine), directory / SQLITE_FILE)
    return PG_FILE, _pg_dump(engine, directory / PG_FILE)


def load(engine: Engine, source: Path) -> None:
    """Load a copy made by ``dump`` into the (empty) database behind ``engine``."""
    if backend(engine) == "sqlite":
        _sqlite_copy(source, _sqlite_path(engine))
    else:
        _pg_restore(engine, source)


def _sqlite_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupError("内存数据库无法备份 / an in-memory SQLite database has no file to back up or restore")
    return Path(name)


def _sqlite_copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _sqlite_dump(source: Path, target: Path) -> dict[str, int]:
    if not source.exists():
        raise BackupError(f"数据库文件不存在 / the SQLite database {source.name} does not exist in data_dir")
    _sqlite_copy(source, target)
    copy = create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as connection:
            return table_counts(connection)
    finally:
        copy.dispose()


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"找不到 {name} / {name} is not on PATH: install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client), no older than the server"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment carrying it (never on a command line)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what}失败 / {Path(command[0]).name} failed: {reason}")


def _pg_dump(engine: Engine, target: Path) -> dict[str, int]:
    program = _program("pg_dump")
    dsn, env = _libpq(engine.url)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = table_counts(connection)
            # The transaction stays open while pg_dump reads the snapshot it exported.
            command = [program, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", "--no-password", dsn]
            _run(command, env, "数据库导出")
    return counts


def _pg_restore(engine: Engine, source: Path) -> None:
    # pg_restore --clean would drop each partition's key, which belongs to its parent's and cannot be dropped
    # alone: the (empty) target's partitioned tables go first, with their partitions; the copy brings its own.
    with engine.begin() as connection:
        partitioned = connection.execute(
            text("SELECT relname FROM pg_class WHERE relkind = 'p' AND NOT relispartition"
                 " AND relnamespace = CAST('public' AS regnamespace)")
        ).scalars().all()  # fmt: skip
        for name in partitioned:
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    program = _program("pg_restore")
    dsn, env = _libpq(engine.url)
    # --clean --if-exists: a database central created and never used has its (empty) tables already.
    command = [program, "--no-owner", "--no-privileges", "--clean", "--if-exists", "--exit-on-error",
               "--single-transaction", "--no-password", f"--dbname={dsn}", str(source)]  # fmt: skip
    _run(command, env, "数据库恢复")
