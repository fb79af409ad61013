"""The terminals page: state in words, the clock offset against central with the fix, and each
user's own sites only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.db.types import utcnow
from central.registry.models import Terminal


@pytest.fixture
def client(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = CentralSettings(
        data_dir=tmp_path,
        client_id=f"central-terminals-{uuid.uuid4().hex[:8]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
    )
    now = utcnow()
    with Session(sqlite_engine) as session:
        session.add_all(
            [
                Terminal(id="T-OK", site_id="S2", post_name_zh="东门岗", online=True, last_seen_at=now,
                         clock_offset_s=0.4, outbox_depth=0, software_version="0.2.0", roster_version="r1",
                         watchlist_version="w1"),
                Terminal(id="T-CLOCK", site_id="S2", post_name_zh="西门岗", online=True, last_seen_at=now,
                         clock_offset_s=-125.0, outbox_depth=3, oldest_pending_s=600.0, roster_stale="refused"),
                Terminal(id="T-QUIET", site_id="S1", post_name_zh="大门", online=True,
                         last_seen_at=now - timedelta(hours=2), watchlist_stale="too_old"),
            ]
        )  # fmt: skip
        session.commit()
    with TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False)) as client:
        yield client


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row(html: str, terminal_id: str) -> str:
    found = re.search(rf'<tr id="terminal-{terminal_id}".*?</tr>', html, re.S)
    assert found, f"no row for {terminal_id}"
    return visible_text(found.group(0))


def test_the_administrator_sees_every_terminal_flagged_first_with_the_clock_and_its_fix(client: TestClient) -> None:
    client.post("/login", data={"username": "admin", "password": "admin-demo"})
    page = client.get("/terminals")

    assert page.status_code == 200
    order = re.findall(r'<tr id="terminal-([\w-]+)"', page.text)
    assert order.index("T-OK") > max(order.index("T-CLOCK"), order.index("T-QUIET"))
    assert "共 4 台" in visible_text(page.text)  # with the seeded registry's T-S2-GATE, never heard from
    clock = row(page.text, "T-CLOCK")
    assert "-125.0 秒" in clock
    assert "请检查终端的 NTP/chrony 校时" in clock
    assert "更新被拒（签名不符）" in clock
    assert "最久 10 分钟" in clock
    assert "失联" in row(page.text, "T-QUIET")
    assert "长时间未确认" in row(page.text, "T-QUIET")
    ok = row(page.text, "T-OK")
    assert "在线" in ok
    assert "+0.4 秒" in ok
    assert "NTP" not in ok


def test_a_filter_by_state_and_english_words(client: TestClient) -> None:
    client.post("/login", data={"username": "admin", "password": "admin-demo"})
    client.get("/lang/en")
    page = client.get("/terminals", params={"state": "silent"})

    shown = re.findall(r'<tr id="terminal-([\w-]+)"', page.text)
    assert "T-QUIET" in shown
    assert not {"T-OK", "T-CLOCK"} & set(shown)
    assert "Silent" in row(page.text, "T-QUIET")
    assert "Not confirmed for too long" in row(page.text, "T-QUIET")


def test_a_security_company_sees_the_terminals_of_its_own_sites_only(client: TestClient) -> None:
    client.post("/login", data={"username": "pingan", "password": "pingan-demo"})
    page = client.get("/terminals")

    assert page.status_code == 200
    shown = set(re.findall(r'<tr id="terminal-([\w-]+)"', page.text))
    assert "T-QUIET" not in shown
    assert {"T-OK", "T-CLOCK"} <= shown
