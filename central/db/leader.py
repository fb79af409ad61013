"""One runner at a time for central's periodic jobs, however many workers run.

Each job (the retention purge, the registry sweep, the roster publisher, the
police re-sender) asks its ``Leadership`` before each round. On PostgreSQL the
leader is the worker holding a session-level advisory lock named after the job,
on a connection kept for it: when that worker dies, PostgreSQL ends its session
and the lock passes to the next worker that asks. SQLite is one host's
database, so every worker there leads (a single worker is the supported case).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


def lock_key(job: str) -> int:
    """A stable signed 64-bit advisory lock key for ``job``."""
    return int.from_bytes(hashlib.sha256(f"guardpost.{job}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    """Whether this worker runs ``job`` now; ``leads()`` before each round (thread-safe)."""

    def __init__(self, engine: Engine, job: str) -> None:
        self._engine = engine
        self._job = job
        self._key = lock_key(job)
        self._shared = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def leads(self) -> bool:
        if not self._shared:
            return True
        with self._lock:
            try:
                if self._connection is not None:
                    self._connection.execute(text("SELECT 1"))  # still our session, so still our lock
                    self._connection.commit()  # never left idle in a transaction (it would hold back vacuum)
                    return True
                connection = self._engine.connect()
                if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar():
                    connection.commit()  # end the implicit transaction; the session (and the lock) stay
                    self._connection = connection
                    logger.info("this worker now runs %s", self._job)
                    return True
                connection.rollback()
                connection.close()
                return False
            except SQLAlchemyError:
                self._drop()
                return False

    def release(self) -> None:
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                    self._connection.commit()
                except SQLAlchemyError:
                    pass  # closing the connection ends the session, and the lock with it
                self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()  # never back to the pool with a lock or a broken session
                self._connection.close()
            except SQLAlchemyError:
                pass
            self._connection = None


@contextmanager
def one_at_a_time(engine: Engine, job: str) -> Iterator[None]:
    """Run the block while no other worker runs ``job``: workers starting together upgrade the
    schema and seed accounts one after the other (PostgreSQL; SQLite serialises writes itself)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(job)})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(job)})
            connection.commit()
