"""Requests that used to end in a 500 get a clear 4xx (or, for a race, the answer as read).

Dates outside what the service can count with, a CSV field over the csv
module's limit, and a watchlist entry removed between its read and the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from central.access.models import AuditEntry
from tests.fixtures.tenants import Apps

OUT_OF_RANGE = [
    ("police", "/api/police/violations?to=9999-12-31"),
    ("police", "/api/police/violations?from=0001-01-01&to=2026-01-01"),
    ("police", "/api/police/violations?from=0001-01-01"),
    ("admin", "/api/admin/timesheets/daily?date=0001-01-01"),
    ("admin", "/api/admin/timesheets/daily?date=9999-12-31&format=csv"),
    ("admin", "/api/admin/timesheets/monthly?month=0001-01"),
    ("admin", "/api/admin/timesheets/monthly?month=9999-12"),
    ("pingan", "/api/exports/timesheet.csv?site_id=S2&date=0001-01-01"),
    ("pingan", "/api/violations?date=9999-12-31"),
]


@pytest.mark.parametrize(("user", "url"), OUT_OF_RANGE)
def test_dates_out_of_range_are_422(apps: Apps, user: str, url: str) -> None:
    response = apps.client(user).get(url)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_an_id_beyond_any_stored_one_is_404(apps: Apps) -> None:
    for url in ("/api/admin/shifts/9223372036854775808", "/api/admin/assignments/2147483648"):
        assert apps.client("admin").get(url).status_code == 404, url
        assert apps.client("admin").delete(url).status_code == 404, url


def test_a_csv_field_over_the_limit_is_a_clear_refusal(apps: Apps) -> None:
    csv = "编号,名称,类型,行政区划\nCX1," + "甲" * 200_000 + ",保安服务公司,110105\n"
    files = {"file": ("c.csv", csv.encode(), "text/csv")}
    response = apps.client("admin").post("/api/admin/import/companies", files=files)
    assert response.status_code == 400
    assert response.json()["code"] == "import.unreadable"
    assert "甲甲甲" not in response.text


@pytest.fixture
def removed_while_answering(apps: Apps) -> Iterator[None]:
    """W-0001 is removed in the same commit as the audit entry of its look-up, before the answer is built."""

    def remove(_mapper: Any, connection: Connection, _entry: AuditEntry) -> None:
        connection.execute(text("DELETE FROM watchlisttemplate WHERE entry_id = 'W-0001'"))
        connection.execute(text("DELETE FROM watchlistentry WHERE id = 'W-0001'"))

    event.listen(AuditEntry, "after_insert", remove)
    yield
    event.remove(AuditEntry, "after_insert", remove)


def test_a_watchlist_entry_removed_while_it_is_read_is_answered_as_read(
    apps: Apps, removed_while_answering: None
) -> None:
    response = apps.client("police").get("/api/watchlist/W-0001")
    assert response.status_code == 200
    assert response.json()["id"] == "W-0001"
    assert apps.client("police").get("/api/watchlist/W-0001").status_code == 404
