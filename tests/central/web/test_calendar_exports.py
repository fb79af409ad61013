"""The calendar offers the month as XLSX, as CSV and as the day matrix in CSV; each link answers with its file."""

from __future__ import annotations

import csv
import html
import io
import re

from tests.fixtures.tenants import Apps


def test_each_month_download_on_the_calendar_answers(apps: Apps) -> None:
    pingan = apps.client("pingan")
    page = pingan.get("/calendar", params={"site_id": "S2", "month": "2026-11"})
    assert page.status_code == 200
    links = {i: html.unescape(h) for i, h in re.findall(r'id="(export-[a-z-]+)" href="([^"]+)"', page.text)}
    assert set(links) == {"export-month-xlsx", "export-month-csv", "export-matrix-csv"}
    assert pingan.get(links["export-month-xlsx"]).content[:2] == b"PK"
    table = list(csv.reader(io.StringIO(pingan.get(links["export-month-csv"]).content.decode("utf-8-sig"))))
    assert table[0][:2] == ["日期 / date", "场所 / site"]
    matrix = list(csv.reader(io.StringIO(pingan.get(links["export-matrix-csv"]).content.decode("utf-8-sig"))))
    assert matrix[0][:4] == ["场所 / site", "保安员 / guard", "姓名 / name", "1\n日"]  # 2026-11-01 is a Sunday
    assert len(matrix[0]) == 3 + 30 + 3
