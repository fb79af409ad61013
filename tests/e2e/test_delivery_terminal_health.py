"""Terminal health on central: heartbeats carry the outbox backlog; online, offline (last will), silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central.access.models import Role
from central.access.scope import Scope
from central.api import terminals
from central.api.deps import require_scope
from central.config import CentralSettings
from central.registry.models import Terminal
from protocol.messages import TerminalStatus
from protocol.topics import status_topic
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import Collector, add_terminal
from tests.fixtures.delivery import CentralUnderTest, FlakyLink, TerminalUnderTest
from tests.fixtures.waiting import wait_until

ADMIN = Scope(actor="admin", role=Role.ADMIN)
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("online", "seen_s_ago", "state"),
    [
        (True, 10, "online"),
        (True, 91, "silent"),  # claims online, but quiet: the last will may never come
        (None, None, "silent"),  # never heard from
        (False, 10, "offline"),
        (False, 5000, "offline"),
    ],
)
def test_state_of_a_terminal(online: bool | None, seen_s_ago: float | None, state: str) -> None:
    seen = NOW - timedelta(seconds=seen_s_ago) if seen_s_ago is not None else None
    terminal = Terminal(id="T1", site_id="S2", online=online, last_seen_at=seen)
    health = terminals.terminal_health(terminal, NOW, silent_after_s=90)
    assert health.state == state
    assert health.flagged == (state != "online")


def _row(engine: Engine, terminal_id: str) -> Terminal:
    with Session(engine) as session:
        row = session.get(Terminal, terminal_id)
    assert row is not None
    return row


@pytest.mark.mosquitto
@pytest.mark.postgres
def test_heartbeat_backlog_last_will_and_the_api(postgres_engine: Engine, tmp_path: Path) -> None:
    engine = postgres_engine
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    link = FlakyLink(broker.port)  # the terminal's own network, to be cut without a goodbye
    central = CentralUnderTest(engine, broker.port, tmp_path / "central")
    terminal = TerminalUnderTest(add_terminal(engine), link.port, tmp_path)
    watcher = Collector.connect(broker.port, [status_topic(terminal.terminal_id)])
    try:
        terminal.start()
        terminal.tap(5)  # central is not running: nothing is receipted
        backlog = watcher.wait_for(
            lambda m: TerminalStatus.model_validate_json(m.payload).outbox_depth == 5, timeout=10
        )
        assert (TerminalStatus.model_validate_json(backlog[-1].payload).oldest_pending_s or 0) > 0

        central.start()
        terminal.wait_drained(15)
        wait_until(lambda: _row(engine, terminal.terminal_id).outbox_depth == 0, 10, lambda: "no heartbeat stored")
        assert _health(engine, terminal.terminal_id)["state"] == "online"

        link.cut()  # power cut at the terminal: the broker publishes its last will
        wait_until(lambda: _row(engine, terminal.terminal_id).online is False, 10, lambda: "last will not stored")
        assert _health(engine, terminal.terminal_id)["state"] == "offline"
    finally:
        watcher.close()
        terminal.close()
        central.stop()
        link.close()
        broker.kill()
    later = datetime.now(UTC) + timedelta(seconds=300)
    with Session(engine) as session:
        listed = terminals.list_terminal_health(session, ADMIN, silent_after_s=90, now=later)
    assert [h.state for h in listed if h.id == terminal.terminal_id] == ["offline"]
    assert all(h.flagged for h in listed), "after 300 s of silence every terminal is flagged"


def _health(engine: Engine, terminal_id: str) -> dict[str, object]:
    """``GET /api/terminals`` as the administrator, this terminal's entry."""
    app = FastAPI()
    app.state.engine = engine
    app.state.settings = CentralSettings(terminal_silent_after_s=60)
    app.include_router(terminals.router)
    app.dependency_overrides[require_scope] = lambda: ADMIN
    with TestClient(app) as client:
        response = client.get("/api/terminals")
    assert response.status_code == 200, response.text
    entries: list[dict[str, object]] = [e for e in response.json()["data"] if e["id"] == terminal_id]
    assert len(entries) == 1
    return entries[0]
