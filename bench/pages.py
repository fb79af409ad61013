"""Pages and their APIs on a seeded month: p50/p95/max per page and reader, as a browser asks for them.

The month (central.demo.month: day and night shifts at every site, absences, late
arrivals, rule-breaking guards) is seeded for ``--sites`` x ``--guards-per-site``
guards into a throw-away PostgreSQL database (or SQLite with ``--sqlite``), then
each page is requested ``--rounds`` times in-process (no network) by the
administrator (every site), a security company (a fifth of the sites) and the
police, with API keys (a password login costs an Argon2 hash, not what a page costs).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.databases import throwaway
from central.access import auth
from central.access.models import AccountCreate, Role
from central.app import create_app
from central.config import CentralSettings, RetentionSettings
from central.db.engine import make_engine
from central.db.sealing import IdCipher, new_key
from central.demo.month import FIRST, generate
from central.schema import create_db

DAY = FIRST.replace(day=16)  # mid-month: revoked certificates and bars in force, both shifts rostered
MONTH = f"{FIRST:%Y-%m}"
READERS: dict[str, tuple[Role, str | None, str | None]] = {  # role, company, jurisdiction
    "admin": (Role.ADMIN, None, None),
    "company": (Role.COMPANY, "MC0", None),
    "police": (Role.POLICE, None, "110105-WJ"),
}
# (reader, page, path): what each reader opens on a working day.
PAGES = (
    ("company", "board", f"/board?date={DAY}"),
    ("company", "api board", f"/api/board?date={DAY}"),
    ("admin", "board", f"/board?date={DAY}"),
    ("company", "attendance", f"/attendance?site_id=MS00&date={DAY}"),
    ("company", "calendar", f"/calendar?site_id=MS00&month={MONTH}"),
    ("company", "violations", f"/violations?date={DAY}"),
    ("company", "guards", "/guards"),
    ("company", "timesheet xlsx", f"/api/exports/timesheet.xlsx?site_id=MS00&date={DAY}&kind=monthly"),
    ("company", "monthly report", f"/reports/monthly?month={MONTH}"),
    ("company", "leave requests", "/attendance/requests"),
    ("police", "violations overview", f"/police/violations?date={DAY}"),
    ("police", "monthly report", f"/reports/monthly?month={MONTH}"),
)


@contextmanager
def _database(args: argparse.Namespace, data_dir: Path) -> Iterator[str]:
    if args.sqlite:
        yield f"sqlite:///{data_dir / 'central.sqlite3'}"
        return
    with throwaway(args.database_url) as url:
        yield url


def _keys(engine: Engine) -> dict[str, str]:
    keys = {}
    with Session(engine) as session:
        for name, (role, company, jurisdiction) in READERS.items():
            account = auth.create_account(session, AccountCreate(
                username=f"bench-{name}", password=secrets.token_urlsafe(16), role=role, company_id=company,
                jurisdiction=jurisdiction))  # fmt: skip
            keys[name] = auth.create_api_key(session, account, "bench")[1]
    return keys


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    for noisy in ("central.requests", "httpx"):  # a line per request would bury the table
        logging.getLogger(noisy).setLevel(logging.WARNING)
    data_dir = Path(tempfile.mkdtemp(prefix="guardpost-bench-pages-"))
    try:
        with _database(args, data_dir) as url:
            id_key = new_key()
            engine = make_engine(url, id_cipher=IdCipher.from_text(id_key))
            create_db(engine)
            started = time.perf_counter()
            month = generate(engine, data_dir, sites=args.sites, guards_per_site=args.guards_per_site)
            seeded_s = time.perf_counter() - started
            if engine.dialect.name == "postgresql":  # planner statistics, as autovacuum keeps them on a live database
                with engine.connect() as connection:
                    connection.execute(text("ANALYZE"))
                    connection.commit()
            keys = _keys(engine)
            settings = CentralSettings(data_dir=data_dir, database_url=url, id_protection={"key": id_key},
                                       retention=RetentionSettings(purge_enabled=False))  # fmt: skip
            app = create_app(settings, engine=engine, run_ingest=False)
            rows = []
            with TestClient(app) as client:
                for reader, page, path in PAGES:
                    rows.append(_measure(client, keys[reader], reader, page, path, args.rounds))
            engine.dispose()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    guards = args.sites * args.guards_per_site
    note: dict[str, object] = {
        "reader": f"{guards} guards, {month.taps} taps, seeded in {seeded_s:.0f} s",
        "page": "",
        "path": "",
    }
    return [*rows, note]


def _measure(client: TestClient, key: str, reader: str, page: str, path: str, rounds: int) -> dict[str, object]:
    headers = {auth.API_KEY_HEADER: key}
    warm = client.get(path, headers=headers)  # first call: caches, compiled queries
    if warm.status_code != 200:
        raise RuntimeError(f"{path} answered {warm.status_code}: {warm.text[:200]}")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(path, headers=headers).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "reader": reader,
        "page": page,
        "path": path,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
        "kB": round(len(warm.content) / 1024, 1),
    }
