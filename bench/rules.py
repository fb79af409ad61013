"""Rule evaluation: evaluations per second on a large registry, and the rules' share of ingest time.

Registry: ``--guards`` guards (default 100,000, each with a card and a
certificate, 1 in 50 revoked, 1 in 200 barred) of 100 companies, on
``--sites`` sites (default 10,000, each with a terminal and a service
contract; 1 in 20 an entertainment venue, 1 in 10 a post needing level 3),
in a fresh SQLite database (or ``--database-url``). Events are taps of random
cards at random terminals, 1 in 100 of an unregistered card.

Rows: ``evaluate`` is the pure rules on prepared snapshots; ``snapshot +
evaluate`` adds reading the registry as of the tap's day (what ingest does per
event); ``ingest`` is ``central.checkins.store.record_event`` end to end (no photo),
with the share of its time spent building snapshots and evaluating rules.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session

from central.checkins import store
from central.checkins.rules import evaluate
from central.db.engine import make_engine
from central.db.sealing import DEMO_CIPHER
from central.registry.credentials import BarKind, Certificate, CompanyCredential, CredentialKind, GuardBar
from central.registry.models import Card, Company, CompanyKind, Guard, ServiceContract, Site, SiteKind, Terminal
from central.registry.snapshot import RegistrySnapshot, build_snapshot
from central.schema import create_db
from firmware_mocks.events import synthetic_event
from protocol.checkin import CheckinEvent

DAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CHUNK = 5000


def _bulk(engine: Engine, model: type[Any], rows: list[dict[str, Any]]) -> None:
    with Session(engine) as session:
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(model), rows[start : start + CHUNK])
        session.commit()


def build_registry(engine: Engine, guards: int, sites: int) -> None:
    """A synthetic registry of ``guards`` guards on ``sites`` sites (an empty database)."""
    companies = [f"BC{i:03d}" for i in range(100)]
    _bulk(
        engine,
        Company,
        [{"id": c, "name_zh": c, "kind": CompanyKind.SECURITY_COMPANY, "region": "110105"} for c in companies],
    )
    _bulk(
        engine,
        CompanyCredential,
        [
            {"company_id": c, "kind": CredentialKind.LICENCE, "number": c, "valid_from": date(2020, 1, 1)}
            for c in companies
        ],
    )
    kinds = [SiteKind.ENTERTAINMENT if i % 20 == 0 else SiteKind.OFFICE for i in range(sites)]
    _bulk(
        engine,
        Site,
        [
            {"id": f"BS{i:05d}", "name_zh": "场所", "kind": kinds[i], "region": "110105", "jurisdiction": "110105-WJ"}
            for i in range(sites)
        ],
    )
    _bulk(
        engine,
        Terminal,
        [{"id": f"BT{i:05d}", "site_id": f"BS{i:05d}", "min_level": 3 if i % 10 == 0 else None} for i in range(sites)],
    )
    _bulk(
        engine,
        ServiceContract,
        [
            {
                "company_id": companies[i % 100],
                "site_id": f"BS{i:05d}",
                "valid_from": date(2026, 1, 1),
                "valid_to": date(2027, 12, 31),
            }
            for i in range(sites)
        ],
    )
    _bulk(
        engine,
        Guard,
        [
            {
                "id": f"BG{i:06d}",
                "name_zh": "保安",
                "name_en": "",
                "id_number": f"{110105199000000000 + i}",
                "employer_id": companies[i % 100],
                "level": 1 + i % 5,
            }
            for i in range(guards)
        ],
    )
    _bulk(engine, Card, [{"uid": f"B{i:07X}", "kind": "mifare", "guard_id": f"BG{i:06d}"} for i in range(guards)])
    _bulk(
        engine,
        Certificate,
        [
            {
                "number": f"BN{i:06d}",
                "guard_id": f"BG{i:06d}",
                "issued_on": date(2020, 1, 1),
                "revoked_on": date(2026, 1, 1) if i % 50 == 0 else None,
            }
            for i in range(guards)
        ],
    )
    _bulk(
        engine,
        GuardBar,
        [
            {"guard_id": f"BG{i:06d}", "kind": BarKind.BLACKLIST, "reason": "", "valid_from": date(2025, 1, 1)}
            for i in range(0, guards, 200)
        ],
    )


def _events(rng: random.Random, count: int, guards: int, sites: int) -> list[CheckinEvent]:
    return [
        synthetic_event(
            f"BT{rng.randrange(sites):05d}",
            seq=n,
            occurred_at=DAY + timedelta(seconds=n),
            card_uid="FFFFFFFF" if n % 100 == 0 else f"B{rng.randrange(guards):07X}",
            verify_score=0.8,
            with_photo=False,
        )
        for n in range(count)
    ]


class _Timed:
    """Wraps a function and adds up the time spent in it."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def _measure_pure(snapshots: list[tuple[CheckinEvent, RegistrySnapshot]]) -> float:
    rounds, started = 0, time.perf_counter()
    while time.perf_counter() - started < 1.0:
        for event, snapshot in snapshots:
            evaluate(event, snapshot)
        rounds += 1
    return rounds * len(snapshots) / (time.perf_counter() - started)


def _measure_ingest(engine: Engine, events: list[CheckinEvent], data_dir: Path) -> tuple[float, float, float]:
    """Events per second through record_event, and the shares of time in snapshots and in rules."""
    namespace = vars(store)  # the names record_event calls, swapped for timed wrappers
    original = dict(namespace)
    snap, rules = _Timed(namespace["build_snapshots"]), _Timed(namespace["evaluate"])
    namespace.update(build_snapshots=snap, evaluate=rules)
    try:
        started = time.perf_counter()
        for event in events:
            store.record_event(engine, event, data_dir=data_dir, default_jurisdiction="110105-WJ")
        total = time.perf_counter() - started
    finally:
        namespace.update(build_snapshots=original["build_snapshots"], evaluate=original["evaluate"])
    return len(events) / total, snap.seconds / total, rules.seconds / total


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", id_cipher=DEMO_CIPHER)
        create_db(engine)
        started = time.perf_counter()
        build_registry(engine, args.guards, args.sites)
        built_s = time.perf_counter() - started
        events = _events(rng, args.events, args.guards, args.sites)
        with Session(engine) as session:
            started = time.perf_counter()
            snapshots = [(e, build_snapshot(session, e)) for e in events]
            with_registry = len(events) / (time.perf_counter() - started)
        fired = sum(len(evaluate(e, s)) for e, s in snapshots)
        ingest_rate, snap_share, rule_share = _measure_ingest(
            engine, _events(rng, args.events, args.guards, args.sites), Path(tmp)
        )
        engine.dispose()
    registry = f"{args.guards} guards, {args.sites} sites (built in {built_s:.1f} s)"
    rows = [
        ("evaluate (pure)", _measure_pure(snapshots), f"{fired} violations in {len(events)} taps"),
        ("snapshot + evaluate", with_registry, "registry read as of the tap's day"),
        ("ingest (record_event)", ingest_rate, f"snapshot {snap_share:.0%} + rules {rule_share:.1%} of ingest time"),
    ]
    return [{"measure": m, "per_s": round(rate), "registry": registry, "note": note} for m, rate, note in rows]
