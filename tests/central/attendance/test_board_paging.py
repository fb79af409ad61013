"""The board builds only the requested page of sites in full; its counts and its number of sites are still
those of every site (the same as the full computation), on a seeded month, on SQLite and PostgreSQL. The
attendance under it reads only the taps its days can hold, with the same rows as five padded days of taps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from central.access.models import Role
from central.access.scope import Scope
from central.attendance import board
from central.attendance import report as attendance_report
from central.attendance.board import Board, Counts, boards, elsewhere
from central.db.engine import make_engine
from central.demo.month import FIRST, generate
from central.paging import Paging
from central.registry import queries as registry_queries
from central.registry.models import Site
from central.schema import create_db
from tests.fixtures.central import _pg_database

DAY = FIRST.replace(day=16)
# Mid-morning (Asia/Shanghai): day shifts on post or missing, some late, night shifts gone or yet to come.
NOW = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=2)
SCOPES = {
    "admin": Scope("test", Role.ADMIN),
    "company": Scope("test", Role.COMPANY, company_id="MC0"),
    "police": Scope("test", Role.POLICE, jurisdiction="110105-WJ"),
}


def _no_fsync(dbapi_conn: Any, _record: object) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def month(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    data_dir = tmp_path_factory.mktemp("board-month")
    with _pg_database() if request.param == "postgres" else nullcontext() as pg:
        engine = make_engine(pg or f"sqlite:///{data_dir / 'central.sqlite3'}")
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _no_fsync)
        create_db(engine)
        generate(engine, Path(data_dir), sites=24, guards_per_site=3)
        yield engine
        engine.dispose()


def _sites(session: Session, scope: Scope) -> tuple[list[Site], list[Site]]:
    sites = registry_queries.visible_sites(session, scope)
    return sites, elsewhere(session, scope, sites, DAY)


def _full(session: Session, scope: Scope, day: date, now: datetime, status: str | None) -> Board:
    """Every site's board built in full (taps, thumbnails, posts), the counts summed over the full rows."""
    sites, away = _sites(session, scope)
    everything, outside = [*sites, *away], {s.id for s in away}
    rows = board._rows(session, scope, everything, day)
    guards = {s.id: [r.guard_id for r in rows[s.id] if r.guard_id] for s in everything}
    standing = board._standings(session, guards, day)
    counts, quiet, shown = Counts(), 0, []
    for site_board in board._site_boards(session, scope, everything, day, now, rows, standing):
        counts.add(site_board.rows)
        if not site_board.rows:
            quiet += site_board.site.id not in outside
            continue
        kept = [r for r in site_board.rows if r.matches(status)]
        if kept:
            away_site = site_board.site.id in outside
            shown.append(board.SiteBoard(site_board.site, kept, site_board.counts, elsewhere=away_site))
    return Board(shown, counts, quiet, len(shown))


def _shape(b: board.SiteBoard) -> tuple[object, ...]:
    return (b.site.id, b.elsewhere, b.counts, tuple(b.rows))


@pytest.mark.parametrize("reader", list(SCOPES))
@pytest.mark.parametrize("status", [None, "missing", "late", "violation", "on_post", "unrostered"])
def test_each_page_has_the_counts_and_rows_of_the_full_board(month: Engine, reader: str, status: str | None) -> None:
    scope = SCOPES[reader]
    board._standing_cache.clear()
    with Session(month) as session:
        full = _full(session, scope, DAY, NOW, status)
        sites, away = _sites(session, scope)
        size = 3
        pages = []
        for offset in range(0, max(full.count, 1) + size, size):
            page = boards(session, scope, sites, DAY, NOW, status, away, Paging(limit=size, offset=offset))
            assert (page.counts, page.quiet, page.count) == (full.counts, full.quiet, full.count)
            assert len(page.sites) <= size
            pages += page.sites
        whole = boards(session, scope, sites, DAY, NOW, status, away)
    assert [_shape(b) for b in pages] == [_shape(b) for b in full.sites]
    assert [_shape(b) for b in whole.sites] == [_shape(b) for b in full.sites]
    assert (whole.counts, whole.count) == (full.counts, full.count)
    if status is None:
        assert full.count > size  # several pages
    if status is None and reader == "admin":  # every kind of row is there
        assert min(full.counts.expected, full.counts.present, full.counts.missing, full.counts.late) > 0
        assert full.counts.violations > 0


def test_the_counts_follow_the_clock_past_the_day(month: Engine) -> None:
    scope = SCOPES["company"]
    later = NOW + timedelta(days=2)
    with Session(month) as session:
        full = _full(session, scope, DAY, later, None)
        sites, away = _sites(session, scope)
        page = boards(session, scope, sites, DAY, later, None, away, Paging(limit=1))
    assert (page.counts, page.count, page.quiet) == (full.counts, full.count, full.quiet)
    assert [_shape(b) for b in page.sites] == [_shape(b) for b in full.sites[:1]]


@pytest.mark.parametrize("days", [(FIRST, FIRST), (DAY, DAY), (FIRST, FIRST.replace(day=31))])
def test_the_taps_read_are_enough_for_the_days_rows(
    month: Engine, days: tuple[date, date], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading only the taps the days' duties and local days can hold gives the rows that five padded UTC days
    of taps (as before) give."""
    first, last = days
    with Session(month) as session:
        narrow = attendance_report.report(session, first=first, last=last)
        wide = (datetime.combine(first - timedelta(days=2), time(0), UTC),
                datetime.combine(last + timedelta(days=3), time(0), UTC))  # fmt: skip
        monkeypatch.setattr(attendance_report, "tap_window", lambda *_args: wide)
        padded = attendance_report.report(session, first=first, last=last)
    assert narrow == padded
    assert any(r.late for r in narrow)
    assert any(r.shift_id is None for r in narrow) or first == last
