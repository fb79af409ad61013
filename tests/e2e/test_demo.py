"""The demo's scripted shift end to end: pty reader mock -> face -> outbox -> MQTT -> central -> police.

Run three ways: the embedded broker with SQLite (what ``guardpost demo`` does),
the real Mosquitto with SQLite, and the real Mosquitto with PostgreSQL.
"""

from __future__ import annotations

import base64
import queue
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from edge.checkin import CheckinResult
from guardpost.demo import play
from guardpost.demo_report import attendance_today, verify_outcomes
from guardpost.demo_script import JURISDICTION, SCRIPT, faces_dir
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
    _an_entry_added_on_the_watchlist_page_reaches_the_terminal(stack)


def _an_entry_added_on_the_watchlist_page_reaches_the_terminal(stack: DemoStack) -> None:
    """What the watchlist page posts, with the key the demo made: the terminal holds the new version."""
    api = httpx.Client(base_url=stack.api_url, headers={API_KEY_HEADER: DEMO_API_KEY}, timeout=30)
    photo = base64.b64encode((faces_dir() / "s9" / "1.pgm").read_bytes()).decode()
    entry = {"name_zh": "钱演示", "jurisdiction": JURISDICTION, "photos": [photo]}
    added = api.post("/api/watchlist", json=entry)
    assert added.status_code == 201, added.text
    pushed = api.post("/api/watchlist/sync/push", json={})
    assert pushed.status_code == 200, pushed.text  # the demo's signing key, not "未配置签名私钥"
    version = pushed.json()["version"]
    assert version == added.json()["version"]
    deadline = time.monotonic() + 15
    while stack.terminal.pipeline.watchlist.version != version:
        assert time.monotonic() < deadline, f"the terminal holds {stack.terminal.pipeline.watchlist.version}"
        time.sleep(0.05)
    held = stack.terminal.pipeline.watchlist
    assert sorted(e.name for e in held.entries) == ["孙立军", "钱演示"]


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
