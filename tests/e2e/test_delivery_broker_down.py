"""Fault 1: the broker is down for a burst of taps, then back: all arrive, once, in seq order."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import add_terminal
from tests.fixtures.delivery import CentralUnderTest, TerminalUnderTest, assert_delivered
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.mosquitto

BURST = 200


def test_taps_while_the_broker_is_down_arrive_once_and_in_order(engine: Engine, tmp_path: Path) -> None:
    # Persistent, as in production: central's session (and its subscription)
    # survives the restart, so events published before central reconnects are
    # queued for it, not dropped, and arrive in the order they were sent.
    broker = PrivateMosquitto(tmp_path / "broker", persistent=True)
    broker.start()
    central = CentralUnderTest(engine, broker.port, tmp_path / "central", session_expiry_s=60)
    terminal = TerminalUnderTest(add_terminal(engine), broker.port, tmp_path)
    try:
        central.start()
        terminal.start()
        terminal.tap(5)
        terminal.wait_drained(15)

        broker.stop()
        wait_until(lambda: not terminal.uplink.connected, 10, lambda: "terminal did not notice the broker stop")
        terminal.tap(BURST)  # the guards are told "recorded" while the broker is away
        assert terminal.outbox.stats().depth == BURST

        broker.start()
        terminal.wait_drained(30)
    finally:
        terminal.close()
        central.stop()
        broker.kill()
    assert_delivered(engine, terminal.terminal_id, [e.event_id for e in terminal.committed], in_order=True)
