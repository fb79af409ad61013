"""Durable store-and-forward of check-in events on the terminal.

An event is committed here (SQLite, WAL, ``synchronous=FULL``) before the guard
is told it was recorded; a row is deleted only when central's receipt names
it. ``seq`` is allocated in the same transaction as the insert, so the order a
terminal minted its events in is the order they are sent in.

When the quota (rows or bytes) is reached, new taps are refused with a visible
reason rather than dropping anything already committed: every row in here is
an event a guard was told was recorded (see docs/delivery.md).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from edge.errors import OutboxFull
from protocol.checkin import CheckinEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq        INTEGER PRIMARY KEY,
    event_id   TEXT NOT NULL UNIQUE,
    payload    BLOB NOT NULL,
    created_at REAL NOT NULL,
    sent_at    REAL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- The drain asks "how many are in flight" every round; without this it scans the backlog.
CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at);
"""

_DELETE_CHUNK = 500  # event ids per DELETE statement (SQLite's bound-parameter limit is far above)


@dataclass(frozen=True, slots=True)
class PendingEvent:
    seq: int
    event_id: UUID
    payload: bytes
    created_at: float
    sent_at: float | None
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_created_at: float | None


class Outbox:
    """Thread-safe; one connection guarded by a lock (the pipeline and the uplink share it)."""

    def __init__(self, path: Path, max_rows: int = 100_000, max_bytes: int = 2 * 1024**3) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed row survives a power cut (NORMAL may roll it back in WAL mode).
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        # Running totals for the quota check: counting the table on every tap is
        # O(backlog), and the backlog is largest exactly when the network is down.
        rows, size = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM outbox").fetchone()
        self._rows, self._bytes = int(rows), int(size)

    def append(self, build: Callable[[int], CheckinEvent]) -> CheckinEvent:
        """Allocate the next ``seq``, build the event with it, and commit it durably.

        Raises OutboxFull (nothing stored) when the quota is reached: the guard
        is then told the tap was not recorded rather than silently losing it.
        """
        with self._transaction():
            self._check_quota()
            seq = self._next_seq()
            event = build(seq)
            payload = event.to_json()
            self._db.execute(
                "INSERT INTO outbox (seq, event_id, payload, created_at) VALUES (?, ?, ?, ?)",
                (seq, str(event.event_id), payload, time.time()),
            )
            # Counted before COMMIT; if the commit fails, _transaction recounts.
            self._rows += 1
            self._bytes += len(payload)
        return event

    def last_seq(self) -> int:
        """The highest ``seq`` ever allocated (0 before the first tap), receipted rows included."""
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        return 0 if row is None else int(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._recount()  # the running totals may count what was rolled back
                raise

    def _recount(self) -> None:
        rows, size = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM outbox").fetchone()
        self._rows, self._bytes = int(rows), int(size)

    def _check_quota(self) -> None:
        rows, size = self._rows, self._bytes
        if rows >= self.max_rows or size >= self.max_bytes:
            raise OutboxFull(f"outbox holds {rows} events / {size} bytes (quota {self.max_rows} / {self.max_bytes})")

    def _next_seq(self) -> int:
        # A counter rather than MAX(seq)+1: seq stays monotonic after rows are deleted.
        row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        seq = 1 if row is None else int(row[0]) + 1
        self._db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES ('seq', ?)", (seq,))
        return seq

    def due(self, resend_after_s: float, limit: int) -> list[PendingEvent]:
        """Rows never sent, or sent more than ``resend_after_s`` ago without a receipt, oldest first."""
        cutoff = time.time() - resend_after_s
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, payload, created_at, sent_at, attempts FROM outbox"
                " WHERE sent_at IS NULL OR sent_at < ? ORDER BY seq LIMIT ?",
                (cutoff, limit),
            ).fetchall()
        return [PendingEvent(r[0], UUID(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def in_flight(self, resend_after_s: float) -> int:
        """Rows sent within the last ``resend_after_s`` and not yet receipted."""
        cutoff = time.time() - resend_after_s
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at >= ?", (cutoff,)).fetchone()
        return int(count)

    def mark_sent(self, seqs: Iterable[int]) -> None:
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE seq = ?", [(now, s) for s in seqs]
            )

    def mark_unsent(self) -> None:
        """Forget send times (after a reconnect everything unreceipted is due again, in order)."""
        with self._transaction():
            self._db.execute("UPDATE outbox SET sent_at = NULL")

    def acknowledge(self, event_ids: Iterable[UUID]) -> int:
        """Delete the rows central has receipted; returns how many were deleted.

        Ids not in the outbox (a second receipt for the same event) are ignored.
        """
        ids = [str(e) for e in event_ids]
        deleted = 0
        with self._transaction():
            for start in range(0, len(ids), _DELETE_CHUNK):
                chunk = ids[start : start + _DELETE_CHUNK]
                marks = ",".join("?" * len(chunk))
                sizes = self._db.execute(
                    f"DELETE FROM outbox WHERE event_id IN ({marks}) RETURNING LENGTH(payload)",  # noqa: S608
                    chunk,
                ).fetchall()
                deleted += len(sizes)
                self._rows -= len(sizes)
                self._bytes -= sum(int(size) for (size,) in sizes)
        return deleted

    def stats(self) -> OutboxStats:
        with self._lock:
            # seq order is creation order, so the first row is the oldest (no scan for MIN).
            row = self._db.execute("SELECT created_at FROM outbox ORDER BY seq LIMIT 1").fetchone()
            return OutboxStats(depth=self._rows, bytes=self._bytes, oldest_created_at=row[0] if row else None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
