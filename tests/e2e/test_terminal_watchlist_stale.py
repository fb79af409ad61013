"""A terminal's own word on its watchlist (``watchlist_stale``): stored, in the API, on the police page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.registry.models import Terminal
from central.registry.terminals import record_status
from protocol.messages import TerminalStatus
from tests.fixtures.central import add_terminal
from tests.fixtures.tenants import Apps


def report(engine: Engine, terminal: str, stale: str | None) -> None:
    status = TerminalStatus(terminal_id=terminal, online=True, watchlist_version="v3.1", watchlist_stale=stale)
    assert record_status(engine, status)


def stored(engine: Engine, terminal: str) -> str | None:
    with Session(engine) as session:
        row = session.get(Terminal, terminal)
        assert row is not None
        return row.watchlist_stale


@pytest.mark.parametrize("stale", ["needs_full", "behind", "too_old"])
def test_the_latest_status_says_whether_the_list_is_stale(engine: Engine, stale: str) -> None:
    terminal = add_terminal(engine)
    report(engine, terminal, stale)
    assert stored(engine, terminal) == stale
    report(engine, terminal, None)  # current again
    assert stored(engine, terminal) is None


def test_the_terminals_api_and_the_police_page_show_it(apps: Apps) -> None:
    terminal = add_terminal(apps.engine)
    report(apps.engine, terminal, "too_old")

    health = {t["id"]: t for t in apps.client("admin").get("/api/terminals").json()["data"]}
    assert health[terminal]["watchlist_stale"] == "too_old"
    sync = apps.client("police").get("/api/watchlist/sync/status").json()
    assert {t["terminal_id"]: t["reported_stale"] for t in sync["terminals"]}[terminal] == "too_old"

    page = apps.client("police").get("/police/watchlist")
    row = re.search(rf'<tr id="terminal-{terminal}">.*?</tr>', page.text, re.S)
    assert row is not None
    assert 'data-stale="too_old"' in row.group(0)
    assert "名单久未确认" in row.group(0)

    report(apps.engine, terminal, None)
    page = apps.client("police").get("/police/watchlist")
    row = re.search(rf'<tr id="terminal-{terminal}">.*?</tr>', page.text, re.S)
    assert row is not None
    assert "名单有效" in row.group(0)
    assert "名单久未确认" not in row.group(0)
