"""``guardpost bench rules`` runs end to end on a small registry and reports positive rates."""

from __future__ import annotations

import argparse

from bench import rules


def test_bench_rules_reports_each_measure() -> None:
    args = argparse.Namespace(guards=300, sites=30, events=60, database_url=None, seed=1)
    rows = rules.run(args)
    assert [row["measure"] for row in rows] == ["evaluate (pure)", "snapshot + evaluate", "ingest (record_event)"]
    assert all(isinstance(row["per_s"], int) and row["per_s"] > 0 for row in rows)
    assert "of ingest time" in str(rows[2]["note"])
    assert "violations in 60 taps" in str(rows[0]["note"])
