"""Fault 2: the broker is SIGKILLed right after acknowledging: every event still arrives, by receipts.

Mosquitto PUBACKs an event and holds it in memory for central's offline
session; SIGKILL loses it even with persistence on (it is saved only at
autosave or a clean exit). Only the terminal's outbox, which keeps a row
until central's receipt, brings it back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import add_terminal
from tests.fixtures.delivery import CentralUnderTest, TerminalUnderTest, assert_delivered, stored_count
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres]

BURST = 100


def test_events_acknowledged_by_a_broker_that_is_then_killed_still_arrive(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    engine = postgres_engine
    broker = PrivateMosquitto(tmp_path / "broker", persistent=True)
    broker.start()
    central = CentralUnderTest(engine, broker.port, tmp_path / "central", session_expiry_s=60)
    terminal = TerminalUnderTest(add_terminal(engine), broker.port, tmp_path)
    try:
        central.start()
        central.stop()  # its session stays on the broker, which now queues events for it
        terminal.start()
        terminal.tap(BURST)
        wait_until(
            lambda: terminal.uplink.broker_acks >= BURST,
            15,
            lambda: f"the broker acknowledged {terminal.uplink.broker_acks} of {BURST}",
        )
        assert stored_count(engine, terminal.terminal_id) == 0  # acknowledged, but only the broker has them
        assert terminal.outbox.stats().depth == BURST  # a PUBACK deletes nothing

        broker.kill()
        broker.start()
        central.start()
        terminal.wait_drained(30)
    finally:
        terminal.close()
        central.stop()
        broker.kill()
    assert_delivered(engine, terminal.terminal_id, [e.event_id for e in terminal.committed])
    # Each event was acknowledged twice: the broker lost the first copies, the outbox sent them again.
    assert terminal.uplink.broker_acks >= 2 * BURST
