"""Fault 5: the terminal's network flaps every few seconds while guards keep tapping: all arrive once.

A loopback TCP proxy stands between the terminal and the broker; cutting it
closes every connection through it and refuses new ones until it is restored,
as a shop-front router that keeps dropping its uplink does. Central talks to
the broker directly.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import add_terminal
from tests.fixtures.delivery import CentralUnderTest, FlakyLink, TerminalUnderTest, assert_delivered

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres, pytest.mark.slow]

FLAPPING_S = 24.0
TAPS_PER_S = 20


def test_taps_through_a_flapping_network_arrive_once(postgres_engine: Engine, tmp_path: Path) -> None:
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    link = FlakyLink(broker.port)
    central = CentralUnderTest(postgres_engine, broker.port, tmp_path / "central")
    terminal = TerminalUnderTest(add_terminal(postgres_engine), link.port, tmp_path)
    done = threading.Event()

    def guards_tapping() -> None:
        while not done.wait(1 / TAPS_PER_S):
            terminal.tap()

    tapping = threading.Thread(target=guards_tapping)
    cuts = 0
    try:
        central.start()
        terminal.start()
        tapping.start()
        pace = threading.Event()  # never set: its wait() paces the fault schedule
        for _ in range(int(FLAPPING_S / 3)):
            pace.wait(rng.uniform(1.0, 2.5))  # up
            link.cut()
            cuts += 1
            pace.wait(rng.uniform(0.2, 1.0))  # down
            link.restore()
        done.set()
        tapping.join()
        terminal.wait_drained(20)
    finally:
        done.set()
        terminal.close()
        central.stop()
        link.close()
        broker.kill()
    assert link.accepted > cuts // 2, f"the terminal reconnected only {link.accepted} times after {cuts} cuts"
    assert len(terminal.committed) > FLAPPING_S * TAPS_PER_S / 2
    assert_delivered(postgres_engine, terminal.terminal_id, [e.event_id for e in terminal.committed])
