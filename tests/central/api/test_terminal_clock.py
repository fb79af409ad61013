"""A terminal's clock as central sees it: the offset of its last status, flagged beyond a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from central.registry.terminals import record_status
from protocol.messages import TerminalStatus
from tests.fixtures.central import add_terminal
from tests.fixtures.tenants import Apps


@pytest.mark.parametrize(("offset_s", "off"), [(2.0, False), (-45.0, False), (90.0, True), (-3600.0, True)])
def test_the_clock_offset_is_shown_and_a_clock_off_by_a_minute_is_flagged(
    apps: Apps, offset_s: float, off: bool
) -> None:
    terminal = add_terminal(apps.engine)
    at = datetime.now(UTC) + timedelta(seconds=offset_s)
    assert record_status(apps.engine, TerminalStatus(terminal_id=terminal, online=True, at=at))
    health = {t["id"]: t for t in apps.client("admin").get("/api/terminals").json()["data"]}[terminal]
    assert health["clock_offset_s"] == pytest.approx(offset_s, abs=2.0)
    assert (health["clock_off"], health["flagged"]) == (off, off)
