"""``guardpost bench ingest --workers 1,2``: a row per photo variant and worker count, the speed-up against one."""

from __future__ import annotations

import argparse
import os

import pytest

from bench import ingest
from bench.arguments import DEFAULT_PG
from protocol.errors import ConfigError

pytestmark = [pytest.mark.postgres, pytest.mark.mosquitto]


def test_one_and_two_workers_each_get_their_row_and_speed_up() -> None:
    args = argparse.Namespace(terminals=3, events=300, window=50, photos="without", photo_store="files",
                              workers="1,2", database_url=os.environ.get("GUARDPOST_TEST_PG", DEFAULT_PG))  # fmt: skip
    rows = ingest.run(args)
    assert [(r["photos"], r["workers"]) for r in rows] == [("without", 1), ("without", 2)]
    assert rows[0]["speedup"] == 1.0
    speedup = rows[1]["speedup"]
    assert isinstance(speedup, float)
    assert speedup > 0
    assert all(int(str(r["central_events_per_s"])) > 0 and r["cores"] == os.cpu_count() for r in rows)


@pytest.mark.parametrize("text", ["", "0", "1,x", "-1"])
def test_worker_counts_are_positive_whole_numbers(text: str) -> None:
    with pytest.raises(ConfigError, match="--workers"):
        ingest._worker_counts(text)
