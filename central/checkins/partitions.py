"""Check-ins and violations by month on PostgreSQL: one partition per calendar month, and a DEFAULT one.

``checkin`` and ``violation`` are partitioned by range of ``occurred_at``
(UTC month bounds), named ``checkin_y2026m12``; ``checkin_default`` takes a
tap whose month has no partition (a terminal with an impossible clock), so no
event is ever refused for its date. A leader job (``run_schedule``) creates the
current and the next ``AHEAD`` months every day, so a month boundary never
waits on DDL. Creating a month whose rows already sit in DEFAULT moves them
into the new partition in the same transaction (PostgreSQL would refuse the
partition otherwise). Retention drops whole months (``drop_months_before``,
called by ``central.checkins.retention``). SQLite keeps plain tables: nothing
here runs there.

Raw SQL only: the models (``central.checkins.models``) call ``create_partitions``
when a table is created, so this module imports none of them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from central.db.types import utcnow

logger = logging.getLogger(__name__)

PARTITION_KEY = "occurred_at"
PARTITION_BY = f"RANGE ({PARTITION_KEY})"
TABLES = ("checkin", "violation")  # violation's rows follow their check-in's month
AHEAD = 2  # months created ahead of the current one
INTERVAL_S = 86400.0  # the leader job's round: daily
FIRST_RUN_DELAY_S = 10.0
LOCK_TIMEOUT = "5s"  # DDL waits no longer for readers (and holds no one up longer); the next round tries again

_MONTH = re.compile(r"^(?P<table>[a-z]+)_y(?P<year>\d{4})m(?P<month>\d{2})$")


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of ``moment``'s calendar month."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    """The first instant of the month ``months`` after (or before, when negative) ``start``'s month."""
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, start: datetime) -> str:
    return f"{table}_y{start:%Y}m{start:%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _bound(moment: datetime) -> str:
    return f"'{moment:%Y-%m-%d %H:%M:%S}+00'"


def _exists(connection: Connection, name: str) -> bool:
    return connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar() is True


def create_month(connection: Connection, table: str, start: datetime) -> bool:
    """Create ``table``'s partition of the month beginning at ``start`` unless it exists; True when created.

    Rows of that month in the DEFAULT partition are moved into it: deleted from
    DEFAULT, the partition created, and the rows inserted again through the
    parent, all in the caller's transaction.
    """
    name = partition_name(table, start)
    if _exists(connection, name):
        return False
    end = add_months(start, 1)
    default = default_name(table)
    # Ingest writes no row into DEFAULT for this month while the partition is made (CREATE … PARTITION OF
    # would lock the parent this way anyway).
    connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    window = f"{PARTITION_KEY} >= {_bound(start)} AND {PARTITION_KEY} < {_bound(end)}"
    stranded = (
        _exists(connection, default)
        and connection.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {window})")  # noqa: S608  (names and bounds are ours)
        ).scalar()
    )
    if stranded:
        connection.execute(text(f"CREATE TEMP TABLE stranded_rows (LIKE {default}) ON COMMIT DROP"))
        connection.execute(
            text(
                f"WITH moved AS (DELETE FROM {default} WHERE {window} RETURNING *) "  # noqa: S608
                "INSERT INTO stranded_rows SELECT * FROM moved"
            )
        )
    connection.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table}"
            f" FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})"
        )
    )
    if stranded:
        moved = connection.execute(text(f"INSERT INTO {table} SELECT * FROM stranded_rows")).rowcount  # noqa: S608
        connection.execute(text("DROP TABLE stranded_rows"))
        logger.info("%d rows of %s moved from %s into %s", moved, table, default, name)
    return True


def create_default(connection: Connection, table: str) -> bool:
    """Create ``table``'s DEFAULT partition unless it exists; True when created."""
    if _exists(connection, default_name(table)):
        return False
    connection.execute(text(f"CREATE TABLE IF NOT EXISTS {default_name(table)} PARTITION OF {table} DEFAULT"))
    return True


def _ahead(table: str, now: datetime, ahead: int) -> list[tuple[str, Callable[[Connection], bool]]]:
    """``table``'s DEFAULT partition and those of ``now``'s month and ``ahead`` more: each name and its maker."""
    starts = [add_months(month_start(now), offset) for offset in range(ahead + 1)]
    months = [(partition_name(table, s), functools.partial(create_month, table=table, start=s)) for s in starts]
    return [(default_name(table), functools.partial(create_default, table=table)), *months]


def create_partitions(connection: Connection, table: str, now: datetime, ahead: int = AHEAD) -> list[str]:
    """``table``'s DEFAULT partition and those of ``now``'s month and ``ahead`` more; the names created."""
    return [name for name, make in _ahead(table, now, ahead) if make(connection)]


def ensure_partitions(engine: Engine, now: datetime | None = None, ahead: int = AHEAD) -> list[str]:
    """Create the missing partitions of this month and ``ahead`` more, one transaction each; the names created.

    Idempotent; does nothing on SQLite. A partition that could not be made now
    (a lock not had within LOCK_TIMEOUT) is logged and tried on the next round.
    """
    if engine.dialect.name != "postgresql":
        return []
    now = now or utcnow()
    created: list[str] = []
    for table in TABLES:
        for name, make in _ahead(table, now, ahead):
            try:
                with engine.begin() as connection:
                    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                    if make(connection):
                        created.append(name)
            except Exception:
                logger.warning("partition %s not created this round; next try in a day", name, exc_info=True)
    if created:
        logger.info("partitions created: %s", ", ".join(created))
    return created


def months(connection: Connection, table: str) -> list[datetime]:
    """The first instants of the months ``table`` has a partition of, oldest first (PostgreSQL)."""
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).scalars()
    found = []
    for name in names:
        match = _MONTH.match(name)
        if match and match["table"] == table:
            found.append(datetime(int(match["year"]), int(match["month"]), 1, tzinfo=UTC))
    return sorted(found)


def drop_months_before(connection: Connection, cutoff: datetime) -> list[str]:
    """Drop every month partition of violation, then of checkin, that ends at or before ``cutoff``; the months.

    The caller has deleted what refers to those rows (alerts); ``checkinevent``
    rows and the DEFAULT partitions' old rows are the caller's to delete too.
    """
    dropped: list[str] = []
    for table in reversed(TABLES):
        for start in months(connection, table):
            if add_months(start, 1) <= cutoff:
                connection.execute(text(f"DROP TABLE {partition_name(table, start)}"))
                if f"{start:%Y-%m}" not in dropped:
                    dropped.append(f"{start:%Y-%m}")
    return sorted(dropped)


async def run_schedule(engine: Engine, leads: Callable[[], bool], interval_s: float = INTERVAL_S) -> None:
    """Create the months ahead every ``interval_s`` while ``leads()`` (PostgreSQL only); runs until cancelled."""
    if engine.dialect.name != "postgresql":
        return
    await asyncio.sleep(min(FIRST_RUN_DELAY_S, interval_s))
    while True:
        try:
            if await asyncio.to_thread(leads):
                await asyncio.to_thread(ensure_partitions, engine)
        except Exception:
            logger.exception("creating partitions ahead failed; next try in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
