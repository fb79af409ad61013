"""The audit log for administrators: filtered by action (in words), account, target and days, paged, exported with
the actions in Chinese and English; the export itself is logged; nobody else may read it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session

from central.access.audit import record
from central.access.models import AuditEntry
from tests.fixtures.tenants import PASSWORDS


def seed(engine: Engine) -> None:
    with Session(engine) as session:
        record(session, "pingan", "company", "export.timesheet.csv", "S2", "daily 2026-11-02")
        record(session, "police", "police", "person.lookup", "G3", "王强")
        record(session, "police", "police", "alert.status", "A-17", "acknowledged")
        session.add(AuditEntry(at=datetime(2026, 1, 5, 3, tzinfo=UTC), actor="police", role="police",
                               action="person.lookup", target="G1", detail="张伟"))  # fmt: skip
        session.commit()


def test_the_log_is_filtered_in_words_and_paged(admin: tuple[TestClient, str], sqlite_engine: Engine) -> None:
    seed(sqlite_engine)
    client, _token = admin
    page = client.get("/admin/audit", params={"action": "person.lookup", "actor": "POLICE"})
    assert page.status_code == 200
    assert '<option value="person.lookup" selected>查询人员</option>' in page.text
    assert page.text.count('<td data-label="操作">') == 2  # both look-ups, any case of the account's name
    january = client.get("/admin/audit", params={"action": "person.lookup", "from": "2026-01-05", "to": "2026-01-05"})
    assert "张伟" in january.text
    assert "王强" not in january.text
    exports = client.get("/admin/audit", params={"action": "export.timesheet"}).text
    # export.timesheet.csv is found under its prefix, named in words, the code only as the tooltip
    assert '<span title="export.timesheet.csv">导出考勤表</span>' in exports
    paged = client.get("/admin/audit", params={"size": 1})
    assert 'id="audit-count"' in paged.text
    assert "共" in paged.text


def test_the_export_has_the_actions_in_words_and_is_itself_logged(
    admin: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    seed(sqlite_engine)
    client, _token = admin
    answer = client.get("/admin/audit/export.csv", params={"actor": "police"})
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["时间 / time", "账号 / account", "角色 / role", "操作 / action", "Action", "代码 / code"]
    assert {(r[3], r[4], r[5]) for r in rows[1:]} == {
        ("查询人员", "Person looked up", "person.lookup"),
        ("告警处置", "Alert handled", "alert.status"),
    }
    book = load_workbook(io.BytesIO(client.get("/admin/audit/export.xlsx", params={"target": "G3"}).content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]][1:4] == ["police", "police", "查询人员"]
    logged = client.get("/api/audit", params={"action": "audit.export"}).json()
    assert [e["action"] for e in logged["data"]] == ["audit.export.xlsx", "audit.export.csv"]
    assert "actor=police" in logged["data"][1]["detail"]


def test_only_the_administrator_reads_the_log(admin: tuple[TestClient, str]) -> None:
    client, _token = admin
    client.cookies.clear()
    client.post("/login", data={"username": "police", "password": PASSWORDS["police"]})
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403
    assert client.get("/api/audit").status_code == 403
