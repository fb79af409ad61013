"""A city's month in PostgreSQL: seed 100,000 guards and a month of taps, then time the pages' reads (p50/p95).

The seed (``bench.city.seed``) runs inside PostgreSQL; the reads
(``bench.city.timing``) are central's own query functions with the scopes the
pages use. The database is a fresh one on ``--server`` (kept for a re-run with
``--database-url ... --no-seed``, dropped with ``--drop``), or the one given.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import psycopg
from sqlalchemy import Engine

from bench.city import seed, timing
from central.checkins import partitions
from central.db.engine import make_engine
from central.db.sealing import DEMO_CIPHER
from central.schema import create_db
from protocol.errors import ConfigError

# Sizes reported after the seed.
TABLES = ("checkin", "violation", "alert", "guard", "site", "company", "shiftassignment", "employment")


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    plan = _plan(args)
    logging.getLogger("central").setLevel(logging.WARNING)
    with _database(args) as url:
        engine = make_engine(url, id_cipher=DEMO_CIPHER)  # synthetic people: the demo's key
        began = time.perf_counter()
        create_db(engine)  # as central does at start: a city seeded before gets the current schema (indexes)
        upgraded = time.perf_counter() - began
        if args.no_seed:
            plan = _seeded_plan(url, plan)
            rows: list[dict[str, object]] = [{"query": "schema", "seconds": round(upgraded)}]
        else:
            _months(engine, plan)
            rows = _seed(url, plan)
        rows += _time(engine, plan, args)
        engine.dispose()
    return rows


def _plan(args: argparse.Namespace) -> seed.Plan:
    if args.guards < 10 or args.days < 1 or args.days > 31:
        raise ConfigError("--guards 至少 10，--days 1..31 / --guards needs 10 or more, --days 1 to 31")
    sites = args.sites or max(1, args.guards // 10)
    terminals = args.terminals or max(1, sites // 2)
    return seed.Plan(args.guards, sites, terminals, date.fromisoformat(args.month + "-01"), args.days)


def _seeded_plan(url: str, asked: seed.Plan) -> seed.Plan:
    """The plan of a city seeded before: its sizes as found in the database (the month and days as asked)."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM guard), (SELECT count(*) FROM site), (SELECT count(*) FROM terminal)"
        ).fetchone()
    assert counts is not None
    guards, sites, terminals = counts
    if not guards:
        raise ConfigError("数据库中没有城市数据 / no city in this database: seed it first (without --no-seed)")
    return seed.Plan(guards, sites, terminals, asked.first, asked.days)


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
        return
    if args.no_seed:
        raise ConfigError("--no-seed 需要 --database-url / --no-seed times a city seeded before: give --database-url")
    name = f"guardpost_city_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.server.rsplit('/', 1)[0]}/{name}"
    try:
        yield url
    finally:
        if args.drop:
            with psycopg.connect(args.server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            logging.getLogger(__name__).warning("city kept in %s (drop it when done)", url)


def _months(engine: Engine, plan: seed.Plan) -> None:
    """The partitions of the months seeded, as the months-ahead job would have made them (else DEFAULT takes it all)."""
    before = plan.first - timedelta(days=1)  # a night shift's first taps fall on the day before in UTC
    start = partitions.month_start(datetime(before.year, before.month, 1, tzinfo=UTC))
    last = plan.first + timedelta(days=plan.days)
    with engine.begin() as connection:
        while start.date() <= last:
            for table in partitions.TABLES:
                partitions.create_month(connection, table, start)
            start = partitions.add_months(start, 1)


def _seed(url: str, plan: seed.Plan) -> list[dict[str, object]]:
    began = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        seed.seed(conn, plan, DEMO_CIPHER)
        seconds = time.perf_counter() - began
        # Over each table's partitions (a plain table is its own one leaf).
        sizes = conn.execute(
            "SELECT t, sum(CASE WHEN coalesce(p.isleaf, true) THEN greatest(c.reltuples, 0) END)::bigint,"
            " sum(pg_total_relation_size(c.oid))"
            " FROM unnest(%s::text[]) t LEFT JOIN LATERAL pg_partition_tree(t::regclass) p ON true"
            " JOIN pg_class c ON c.oid = coalesce(p.relid, t::regclass) GROUP BY t",
            [list(TABLES)],
        ).fetchall()
    found = {name: (n, size) for name, n, size in sizes}
    rows: list[dict[str, object]] = [{"query": "seed", "over": url.rsplit("/", 1)[1], "seconds": round(seconds)}]
    for table in TABLES:
        n, size = found[table]
        rows.append({"query": f"table {table}", "rows": n, "size_mb": round(size / 2**20)})
    return rows


def _time(engine: Engine, plan: seed.Plan, args: argparse.Namespace) -> list[dict[str, object]]:
    day = plan.first + timedelta(days=plan.days // 2)
    companies = [seed.company_id(n) for n in range(plan.companies)]
    sites = [seed.site_id(n) for n in range(plan.sites)]
    stations = [seed.jurisdiction(n) for n in range(plan.jurisdictions)]
    keys = {
        "companies": timing.spread(companies, args.samples),
        "sites": timing.spread(sites, args.samples),
        "police stations": timing.spread(stations, args.samples),
        "searches": ["张伟", "BG0012", "Guard 4242", "赵", "BG099999"][: args.samples],
    }
    rows = []
    for page in timing.pages(plan.first, day):
        rows.append(timing.time_page(engine, page, timing.targets(page.over, keys[page.over]), args.repeat))
    return rows
