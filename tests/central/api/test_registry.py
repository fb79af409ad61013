"""The administrator's registry API: upsert by natural key, list and filter, import, timesheets.

Through the application, as the administrator (by API key); the access check
itself is covered by tests/central/access/test_auth.py.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from central.access import auth
from central.app import create_app
from central.registry.resources import RESOURCES
from tests.fixtures.tenants import demo_settings, keys_for


@pytest.fixture
def client(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(demo_settings(tmp_path), engine=sqlite_engine, run_ingest=False)
    with TestClient(app, headers={auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]}) as test_client:
        yield test_client


def test_put_twice_creates_then_leaves_unchanged(client: TestClient) -> None:
    site = f"S-{uuid.uuid4().hex[:6]}"
    body = {"id": site, "name_zh": "测试楼", "kind": "office", "region": "110105", "jurisdiction": "110105-WJ"}
    first = client.put("/api/admin/sites", json=body)
    second = client.put("/api/admin/sites", json=body)
    renamed = client.put("/api/admin/sites", json=body | {"name_zh": "新楼"})

    assert [r.status_code for r in (first, second, renamed)] == [200, 200, 200]
    assert [r.json()["outcome"] for r in (first, second, renamed)] == ["created", "unchanged", "updated"]
    assert client.get(f"/api/admin/sites/{site}").json()["name_zh"] == "新楼"
    listed = client.get("/api/admin/sites", params={"jurisdiction": "110105-WJ"}).json()["data"]
    assert site in {row["id"] for row in listed}


def test_invalid_body_is_422_without_echoing_the_id_number(client: TestClient) -> None:
    response = client.put("/api/admin/guards", json={"id": "GX", "name_zh": "某", "id_number": "1" * 30})
    assert response.status_code == 422
    assert "1" * 18 not in response.text


def test_unknown_record_is_404_and_contracts_are_never_deleted(client: TestClient) -> None:
    assert client.get("/api/admin/guards/NOPE").status_code == 404
    assert client.get("/api/admin/contracts/abc").status_code == 404
    assert client.get("/api/admin/credentials/²").status_code == 404  # a digit to str.isdigit(), not to int()
    contracts = client.get("/api/admin/contracts", params={"site_id": "S2"}).json()["data"]
    assert contracts
    assert client.delete(f"/api/admin/contracts/{contracts[0]['id']}").status_code == 405


def test_delete_of_a_referenced_record_is_409(client: TestClient) -> None:
    assert client.delete("/api/admin/companies/C1").status_code == 409  # its guards still name it
    post = {"id": f"P-{uuid.uuid4().hex[:6]}", "site_id": "S2", "name_zh": "西门岗", "min_level": 3}
    assert client.put("/api/admin/posts", json=post).json()["outcome"] == "created"
    assert client.delete(f"/api/admin/posts/{post['id']}").status_code == 204
    assert client.get(f"/api/admin/posts/{post['id']}").status_code == 404


def test_every_registry_table_is_listed(client: TestClient) -> None:
    for name in RESOURCES:
        response = client.get(f"/api/admin/{name}", params={"limit": 5})
        assert response.status_code == 200, name
        assert isinstance(response.json()["data"], list)


def test_import_upload_reports_refused_rows(client: TestClient) -> None:
    p = uuid.uuid4().hex[:6].upper()
    csv = f"编号,名称,类型,行政区划\n{p}A,甲公司,保安服务公司,110105\n{p}B,乙,火箭公司,110105\n".encode()
    response = client.post("/api/admin/import/companies", files={"file": ("companies.csv", csv, "text/csv")})
    assert response.status_code == 200
    body = response.json()
    assert body["outcomes"] == {"created": 1}
    assert [r["line"] for r in body["refused"]] == [3]
    bad = client.post("/api/admin/import/companies", files={"file": ("c.pdf", b"%PDF", "application/pdf")})
    assert bad.status_code == 400
    assert client.post("/api/admin/import/rockets", files={"file": ("c.csv", csv, "text/csv")}).status_code == 404


def test_timesheets_download_as_csv_and_xlsx(client: TestClient) -> None:
    daily = client.get("/api/admin/timesheets/daily", params={"date": "2026-03-02", "site_id": "S2", "format": "csv"})
    assert daily.status_code == 200
    assert daily.headers["content-type"].startswith("text/csv")
    assert daily.content.decode("utf-8-sig").startswith("日期 / date")

    monthly = client.get("/api/admin/timesheets/monthly", params={"month": "2026-03", "format": "xlsx"})
    assert monthly.status_code == 200
    sheet = load_workbook(io.BytesIO(monthly.content)).worksheets[0]
    assert sheet.cell(1, 1).value == "日期 / date"
    assert sheet.cell(sheet.max_row, 5).value == "合计"
    as_json = client.get("/api/admin/timesheets/monthly", params={"month": "2026-03", "group": "guard"}).json()
    assert as_json["first"] == "2026-03-01"
    assert as_json["last"] == "2026-03-31"
    assert client.get("/api/admin/timesheets/monthly", params={"month": "2026-13"}).status_code == 422


def test_a_card_is_issued_by_any_form_and_held_by_one_guard_at_a_time(client: TestClient) -> None:
    issued = client.post("/api/admin/cards/issue", json={"number": "0003887558", "kind": "ID卡", "guard_id": "G3"})
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["card"]["uid"], body["understood_as"], body["understood_as_zh"]) == (
        "em4100:003B51C6",
        "decimal",
        "卡面号(十进制)",
    )
    assert body["forms"]["facility_card"] == "059,20934"

    taken = client.post("/api/admin/cards/issue", json={"number": "059,20934", "kind": "em4100", "guard_id": "G4"})
    assert taken.status_code == 409
    assert taken.json()["code"] == "registry.card_refused"
    assert "王强" in taken.json()["detail"]  # the holder is named

    returned = client.post("/api/admin/cards/em4100:003B51C6/return", json={"on": "2026-05-01"})
    assert returned.status_code == 200, returned.text
    again = client.post(
        "/api/admin/cards/issue", json={"number": "0003887558", "kind": "id", "guard_id": "G4", "since": "2026-05-01"}
    )
    assert again.status_code == 200, again.text
    assert client.put("/api/admin/cards", json={"uid": "X", "kind": "x", "guard_id": "G1"}).status_code == 405


def test_a_card_a_reader_could_not_tell_apart_is_refused(client: TestClient) -> None:
    first = client.post("/api/admin/cards/issue", json={"number": "67003B51C6", "kind": "em4100", "guard_id": "G3"})
    assert first.status_code == 200
    # Another fob whose low 24 bits are the same: a Wiegand-26 reader would see one card.
    clash = client.post("/api/admin/cards/issue", json={"number": "99FF3B51C6", "kind": "em4100", "guard_id": "G4"})
    assert clash.status_code == 409
    assert "em4100:67003B51C6" in clash.json()["detail"]
    unreadable = client.post("/api/admin/cards/issue", json={"number": "38875", "kind": "em4100", "guard_id": "G4"})
    assert unreadable.status_code == 422
