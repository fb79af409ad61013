"""``guardpost bench pages`` runs end to end on a small seeded month and times every page it lists."""

from __future__ import annotations

import argparse
import os

import pytest

from bench import pages
from bench.arguments import DEFAULT_PG


@pytest.mark.parametrize("sqlite", [True, pytest.param(False, marks=pytest.mark.postgres)])
def test_bench_pages_times_every_page(sqlite: bool) -> None:
    server = os.environ.get("GUARDPOST_TEST_PG", DEFAULT_PG)  # bench pages makes and drops its own database there
    args = argparse.Namespace(sites=3, guards_per_site=4, rounds=2, sqlite=sqlite, database_url=server)
    rows = pages.run(args)
    timed = rows[:-1]
    assert [(r["reader"], r["page"]) for r in timed] == [(reader, page) for reader, page, _path in pages.PAGES]
    for row in timed:
        p50, p95, most = (float(str(row[k])) for k in ("p50_ms", "p95_ms", "max_ms"))
        assert 0 < p50 <= p95 <= most, row
    assert all(isinstance(r["kB"], float) and r["kB"] > 0 for r in timed)
    assert str(rows[-1]["reader"]).startswith("12 guards, ")
