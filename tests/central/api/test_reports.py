"""The monthly report over HTTP and on its page: each audience gets its own, as rows, as a file, printable."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from central.checkins.store import record_event
from tests.fixtures.central import add_terminal, make_event
from tests.fixtures.tenants import logged_in

REVOKED = "保安员证已被吊销，不得上岗 / Guard's security guard certificate has been revoked"


@pytest.fixture
def login(engine: Engine, tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    terminal = add_terminal(engine)
    for day, card in ((3, "DEADBEEF"), (4, "04C3D4E5"), (5, "04C3D4E5")):  # G1 in order; G3 revoked, twice
        at = datetime(2026, 2, day, 1, 0, tzinfo=UTC)
        record_event(engine, make_event(terminal, card_uid=card, occurred_at=at), data_dir=tmp_path,
                     default_jurisdiction="unassigned")  # fmt: skip
    with logged_in(engine, tmp_path) as login:
        yield login


def rows(answer: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(r["section"], r["item"]): r["value"] for r in answer["rows"]}


def test_each_audience_gets_its_own_report(login: Callable[[str], TestClient]) -> None:
    admin = login("admin").get("/api/reports/monthly", params={"month": "2026-02"}).json()
    police = login("police").get("/api/reports/monthly", params={"month": "2026-02", "jurisdiction": "999999-XX"})
    pingan = login("pingan").get("/api/reports/monthly", params={"month": "2026-02", "company_id": "C2"}).json()

    assert rows(admin)[("违规·按规则 / violations by rule", REVOKED)] >= 2
    assert police.json()["jurisdiction"] == "110105-WJ"  # its own, whatever was asked
    assert rows(police.json())[("违规·按规则 / violations by rule", REVOKED)] >= 2
    assert pingan["company_id"] == "C1"  # its own company, not the one asked for
    assert ("比中告警 / wanted-person alerts", "合计 / total") not in rows(pingan)  # alerts are the police's


def test_the_file_and_the_page(login: Callable[[str], TestClient]) -> None:
    police = login("police")
    sheet = police.get("/api/reports/monthly.xlsx", params={"month": "2026-02"})
    page = police.get("/reports/monthly", params={"month": "2026-02"})

    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content)).active
    assert book is not None
    assert ("违规·按规则 / violations by rule", REVOKED) in {(r[0], r[1]) for r in book.iter_rows(values_only=True)}
    assert page.status_code == 200
    assert "月度统计报表" in page.text
    assert 'id="report-print"' in page.text
    assert "保安员证已被吊销，不得上岗 / Guard&#39;s security guard certificate" in page.text
    assert police.get("/api/reports/monthly", params={"month": "2026-13"}).status_code == 422
