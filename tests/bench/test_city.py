"""``guardpost bench city`` seeds a small city into PostgreSQL and prints a figure for every page's reads."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from bench.city.timing import pages
from guardpost.cli import main

pytestmark = pytest.mark.postgres


def test_bench_city_times_every_page_on_a_small_city(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "city", "--guards", "200", "--days", "3", "--samples", "2", "--repeat", "1"]
    assert main([*argv, "--database-url", pg_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    for page in pages(date(2026, 11, 1), date(2026, 11, 2)):
        cells = dict(zip(header[-5:], rows[page.name][-5:], strict=True))  # runs, p50, p95, max, answer
        assert float(cells["p50_ms"]) > 0, page.name
        assert float(cells["p95_ms"]) >= float(cells["p50_ms"]), page.name
        assert int(cells["runs"]) >= 1, page.name
    # 200 guards, 3 days, 4 taps a guard-day less the ~3 % absences; a violation in about one tap in 100.
    with psycopg.connect(pg_url) as conn:
        taps, violations, guards = conn.execute(
            "SELECT (SELECT count(*) FROM checkin), (SELECT count(*) FROM violation), (SELECT count(*) FROM guard)"
        ).fetchone() or (0, 0, 0)
    assert guards == 200
    assert 2200 <= taps <= 2400
    assert 0 < violations < taps // 10
