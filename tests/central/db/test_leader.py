"""One runner at a time for a periodic job: a PostgreSQL advisory lock per job, passed on when its holder dies."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine

from central.db.engine import make_engine
from central.db.leader import Leadership
from tests.fixtures.central import PG_URL


@pytest.mark.postgres
def test_one_worker_leads_each_job_and_the_next_takes_over_when_it_dies(pg_url: str) -> None:
    engines = [make_engine(pg_url) for _ in range(2)]
    first, second = (Leadership(engine, "retention") for engine in engines)
    other_job = Leadership(engines[1], "registry-sweep")
    try:
        assert first.leads()
        assert first.leads()  # still: the lock is held by its session
        assert not second.leads()
        assert other_job.leads()  # jobs lead independently

        _kill_lock_holders(pg_url)
        assert not first.leads()  # its session is gone, and the lock with it
        assert second.leads()
        assert not first.leads()
    finally:
        for leadership in (first, second, other_job):
            leadership.release()
        for engine in engines:
            engine.dispose()


@pytest.mark.postgres
def test_a_released_job_passes_on_at_once(pg_url: str) -> None:
    engine = make_engine(pg_url)
    first, second = Leadership(engine, "rosters"), Leadership(engine, "rosters")
    try:
        assert first.leads()
        assert not second.leads()
        first.release()
        assert second.leads()
    finally:
        second.release()
        engine.dispose()


def test_on_sqlite_every_worker_leads(sqlite_engine: Engine) -> None:
    assert Leadership(sqlite_engine, "retention").leads()
    assert Leadership(sqlite_engine, "retention").leads()


def _kill_lock_holders(url: str) -> None:
    """What PostgreSQL does when a worker is killed: its sessions end, and their advisory locks with them."""
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks JOIN pg_stat_activity USING (pid)"
            " WHERE locktype = 'advisory' AND datname = %s",
            (database,),
        )
