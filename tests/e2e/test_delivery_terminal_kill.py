"""Fault 3: the terminal is SIGKILLed at random points during a burst of taps, then restarted.

A subprocess runs the terminal's outbox and uplink and prints each event id
right after its commit (the moment the guard would be told "recorded"). It is
killed several times mid-burst and started again on the same outbox; in the
end every confirmed tap must be stored centrally, none twice, and the stored
``seq`` must be exactly 1..TAPS: a tap killed before its commit allocated no
``seq``, and one killed after it must still arrive.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import Engine

from tests import ROOT
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import add_terminal
from tests.fixtures.delivery import CentralUnderTest, assert_delivered

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres]

TAPS = 1000
KILLS = 4

_TERMINAL = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from edge.outbox import Outbox
    from edge.uplink import Uplink, UplinkSettings
    from protocol.mqtt import MqttSettings
    from tests.fixtures.edge_events import make_event

    path, terminal_id, port, taps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    box = Outbox(Path(path))
    uplink = Uplink(
        terminal_id,
        MqttSettings(port=port, session_expiry_s=60, reconnect_max_s=1),
        UplinkSettings(resend_after_s=1, resend_max_s=2, heartbeat_s=1),
        box,
    )
    uplink.start()
    print("started", box.last_seq(), flush=True)
    while box.last_seq() < taps:
        event = box.append(lambda seq: make_event(seq, terminal_id))
        # one write per line: with PYTHONUNBUFFERED each print() piece is its own write,
        # and a kill between two pieces would leave half a line in the pipe
        sys.stdout.write(f"committed {event.seq} {event.event_id}\\n")
        sys.stdout.flush()  # the guard is told only now
        uplink.wake()
    while box.stats().depth:
        threading.Event().wait(0.05)
    print("drained", flush=True)
    uplink.stop()
    """
)


class TerminalProcess:
    """One run of the terminal subprocess; its stdout lines arrive on ``lines``."""

    def __init__(self, outbox: Path, terminal_id: str, port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _TERMINAL, str(outbox), terminal_id, str(port), str(TAPS)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("exited")

    def next_line(self, timeout: float = 30) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"terminal process silent for {timeout} s") from None

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def test_taps_confirmed_before_a_kill_9_arrive_once(postgres_engine: Engine, tmp_path: Path) -> None:
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    kill_after = sorted(rng.sample(range(1, TAPS), KILLS))  # confirmed taps before each kill
    terminal_id = add_terminal(postgres_engine)
    confirmed: dict[UUID, int] = {}
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    central = CentralUnderTest(postgres_engine, broker.port, tmp_path / "central")
    central.start()
    try:
        for point in [*kill_after, None]:
            run = TerminalProcess(tmp_path / "outbox.sqlite3", terminal_id, broker.port)
            killed = False
            while (line := run.next_line()) not in {"drained", "exited"}:
                if line.startswith("committed"):
                    _, seq, event_id = line.split()
                    confirmed[UUID(event_id)] = int(seq)
                if point is not None and len(confirmed) >= point and not killed:
                    run.kill()  # it has run on meanwhile: what it printed before dying is still in the pipe
                    killed = True
            assert killed or line == "drained", f"terminal exited without draining (seed {seed})"
            run.process.wait(timeout=10)
    finally:
        central.stop()
        broker.kill()
    unconfirmed = set(range(1, TAPS + 1)) - set(confirmed.values())  # committed, killed before printing
    assert len(unconfirmed) <= KILLS, f"seqs never confirmed: {sorted(unconfirmed)[:20]} (seed {seed})"
    rows = assert_delivered(postgres_engine, terminal_id, confirmed, may_add=KILLS)
    assert sorted(r.seq for r in rows) == list(range(1, TAPS + 1)), f"a committed seq is missing (seed {seed})"
