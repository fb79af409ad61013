"""Database engine and sessions: SQLite (embedded default) or PostgreSQL (production).

The schema itself (every table, create or upgrade) is ``central.schema``'s.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from central.db import sealing
from central.db.sealing import IdCipher

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
    (``central.db.sealing``); without one, the process default applies.
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
    return sealing.bind(engine, id_cipher) if id_cipher is not None else engine


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
