"""Database engine and sessions: SQLite (embedded default) or PostgreSQL (production)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from central import id_protect, models, registry_models  # noqa: F401  (register the tables on SQLModel.metadata)
from central.id_protect import IdCipher

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
    # WAL lets the API read while ingest writes; FULL makes a commit survive a
    # power cut, which the receipt sent after it promises; SQLite leaves
    # foreign keys off unless asked per connection.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, *, id_cipher: IdCipher | None = None) -> Engine:
    """An engine for ``url``; SQLite gets WAL and foreign keys, PostgreSQL psycopg 3.

    ``id_cipher`` seals and opens the ID numbers stored through this engine
    (``central.id_protect``); without one, the process default applies.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True)
    return id_protect.bind(engine, id_cipher) if id_cipher is not None else engine


def create_db(engine: Engine) -> None:
    """Make the schema current: upgrade a database under migrations, or create a new one at head.

    A new database gets ``create_all`` (fast, and it also creates tables not yet
    under migrations) and is stamped at the head revision; tests/test_migrations.py
    proves that this schema is the one the migrations build. A database that
    predates migrations gets its missing tables and a warning.
    """
    from central import migrations

    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables:
        migrations.upgrade(engine)
    SQLModel.metadata.create_all(engine)
    if not tables:
        migrations.stamp(engine)
    elif "alembic_version" not in tables:
        logger.warning("database not under migrations: check it, then run `guardpost central db stamp`")


def database_ok(engine: Engine) -> bool:
    """True when a trivial query succeeds; used by the health check."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.warning("database health check failed", exc_info=True)
        return False
    return True


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """``with session_scope(engine) as session:``; the session is closed on exit (no implicit commit)."""
    with Session(engine) as session:
        yield session
