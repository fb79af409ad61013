"""The terminal's outbox: durable, ordered, bounded, and deleted only by receipts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edge.errors import OutboxFull
from edge.outbox import Outbox
from tests import ROOT
from tests.fixtures.edge_events import make_event


def test_append_allocates_increasing_seq_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    events = [box.append(make_event) for _ in range(5)]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    box.close()

    reopened = Outbox(path)
    due = reopened.due(resend_after_s=10, limit=100)
    assert [row.event_id for row in due] == [e.event_id for e in events]
    assert due[0].payload == events[0].to_json()


def test_seq_stays_monotonic_after_rows_are_receipted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    first = [box.append(make_event) for _ in range(3)]
    assert box.acknowledge(e.event_id for e in first) == 3
    assert box.append(make_event).seq == 4


def test_sent_rows_are_not_due_until_the_resend_timeout(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    a, b = box.append(make_event), box.append(make_event)
    box.mark_sent([a.seq])
    assert [r.seq for r in box.due(resend_after_s=60, limit=10)] == [b.seq]
    assert box.in_flight(resend_after_s=60) == 1
    # With a zero timeout everything unreceipted is due again, oldest first.
    assert [r.seq for r in box.due(resend_after_s=0, limit=10)] == [a.seq, b.seq]
    box.mark_unsent()
    assert box.in_flight(resend_after_s=60) == 0


def test_receipt_deletes_only_the_named_rows(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    a, b, c = (box.append(make_event) for _ in range(3))
    box.acknowledge([b.event_id])
    assert [r.event_id for r in box.due(0, 10)] == [a.event_id, c.event_id]
    assert box.stats().depth == 2


def test_quota_refuses_new_events_and_keeps_the_old(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", max_rows=2)
    box.append(make_event)
    box.append(make_event)
    with pytest.raises(OutboxFull):
        box.append(make_event)
    assert box.stats().depth == 2
    # The refused tap consumed no seq.
    box.acknowledge([r.event_id for r in box.due(0, 1)])
    assert box.append(make_event).seq == 3


def test_a_failing_build_stores_nothing(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")

    def broken(seq: int) -> object:
        raise RuntimeError("camera exploded")

    with pytest.raises(RuntimeError):
        box.append(broken)  # type: ignore[arg-type]
    assert box.stats().depth == 0


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from edge.outbox import Outbox
    from tests.fixtures.edge_events import make_event
    box = Outbox(Path(sys.argv[1]))
    while True:
        event = box.append(make_event)
        print(event.seq, event.event_id, flush=True)   # the guard is told only after the commit
    """
)


def test_kill_9_loses_no_event_that_was_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert writer.stdout is not None
    confirmed = [writer.stdout.readline().split() for _ in range(200)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()

    stored = {str(row.event_id): row.seq for row in Outbox(path).due(0, 1_000_000)}
    for seq, event_id in confirmed:
        assert stored.get(event_id) == int(seq)
    assert sorted(stored.values()) == list(range(1, len(stored) + 1))


def test_quota_counts_bytes_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = Outbox(path)
    events = [box.append(make_event) for _ in range(3)]
    size = sum(len(e.to_json()) for e in events)
    assert (box.stats().depth, box.stats().bytes) == (3, size)
    box.close()

    # Reopened with a byte quota the backlog already fills: the totals are recounted, not reset.
    full = Outbox(path, max_bytes=size)
    with pytest.raises(OutboxFull):
        full.append(make_event)
    assert full.acknowledge([events[0].event_id, events[0].event_id]) == 1  # a second receipt deletes nothing
    assert full.stats().bytes == size - len(events[0].to_json())
    assert full.append(make_event).seq == full.last_seq() == 4


def test_stats_report_the_oldest_pending_event(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    assert box.stats().oldest_created_at is None
    first, second = box.append(make_event), box.append(make_event)
    oldest = box.stats().oldest_created_at
    assert oldest is not None
    box.acknowledge([first.event_id])
    newer = box.stats().oldest_created_at
    assert newer is not None
    assert newer >= oldest
    box.acknowledge([second.event_id])
    assert box.stats() == box.stats().__class__(depth=0, bytes=0, oldest_created_at=None)
