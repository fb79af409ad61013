"""The demo's scripted shift end to end: pty reader mock -> face -> outbox -> MQTT -> central -> police.

Run three ways: the embedded broker with SQLite (what ``guardpost demo`` does),
the real Mosquitto with SQLite, and the real Mosquitto with PostgreSQL.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.checkin import CheckinResult
from guardpost.demo import play
from guardpost.demo_report import attendance_today, verify_outcomes
from guardpost.demo_script import SCRIPT
from guardpost.demo_stack import DemoStack
from protocol.mqtt import MqttSettings
from tests.fixtures.brokers import SHARED_PORT, free_port, require_shared_broker

pytestmark = pytest.mark.slow


@pytest.fixture(params=["embedded-sqlite", "mosquitto-sqlite", "mosquitto-postgres"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoStack]:
    mqtt, database_url = None, None
    if request.param.startswith("mosquitto"):
        require_shared_broker()
        mqtt = MqttSettings(port=SHARED_PORT)
    if request.param.endswith("postgres"):
        database_url = request.getfixturevalue("pg_url")
    results: queue.Queue[CheckinResult] = queue.Queue()
    terminal_id = f"T-DEMO-{uuid.uuid4().hex[:8]}"
    with DemoStack(tmp_path, free_port(), results.put, mqtt, database_url, terminal_id) as demo:
        demo.results = results  # type: ignore[attr-defined]
        yield demo


def test_every_tap_is_stored_once_with_the_expected_rule_codes(stack: DemoStack) -> None:
    played = play(stack, stack.results)  # type: ignore[attr-defined]
    stack.wait_delivered()

    assert verify_outcomes(stack.api_url, [(p.tap, p.result) for p in played]) == []
    # 李娜's check-in by fingerprint comes minutes after her first: attendance folds the two "in" taps into one.
    assert sum(row["taps"] for row in attendance_today(stack.api_url)) == len(SCRIPT) - 1
    alerts = stack.police.wait_for(1, timeout=5, terminal_id=stack.terminal_id)
    assert [a.watchlist_entry_id for a in alerts] == ["W-0001"]
    wanted_tap = next(p for p in played if p.tap.expect_alert)
    assert wanted_tap.result.event is not None
    assert alerts[0].alert_id == wanted_tap.result.event.event_id


def test_guardpost_demo_once_exits_zero_and_shows_every_case() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "guardpost", "demo", "--once", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for code in ("CERT_REVOKED", "CERT_MISSING", "SELF_RECRUITED_OUT_OF_AREA", "FACE_MISMATCH", "CARD_UNKNOWN",
                 "NO_FACE", "FINGERPRINT_MISMATCH", "W-0001"):  # fmt: skip
        assert code in done.stdout
    assert "全部结果与预期一致" in done.stdout
