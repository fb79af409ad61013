"""Cases across the two roles: the regulator opens one on a violation and orders a correction, the company
answers with an attachment, the regulator closes it; wrong steps refused in words; each side sees its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access.models import AuditEntry
from central.checkins.models import Violation
from central.checkins.store import record_event
from central.db.types import utcnow
from central.registry.snapshot import local_date
from tests.fixtures.central import add_terminal, make_event
from tests.fixtures.tenants import Login, logged_in


@pytest.fixture
def revoked(engine: Engine, tmp_path: Path) -> int:
    """A violation: G3 (certificate revoked, employed by C1) tapped at S2."""
    event = make_event(add_terminal(engine), card_uid="04C3D4E5", occurred_at=datetime.now(UTC) - timedelta(hours=1))
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")
    with Session(engine) as session:
        row = session.exec(select(Violation).where(Violation.event_id == event.event_id)).first()
    assert row is not None
    assert row.id is not None
    return row.id


@pytest.fixture
def login(engine: Engine, tmp_path: Path) -> Iterator[Login]:
    with logged_in(engine, tmp_path) as login:
        yield login


def test_a_case_from_violation_to_closed_across_the_two_roles(login: Login, revoked: int, engine: Engine) -> None:
    police, company, other = login("police"), login("pingan"), login("jinxiu")

    opened = police.post("/api/cases", json={"violation_id": revoked, "note": "现场检查发现"})
    assert opened.status_code == 201
    case = opened.json()
    assert (case["status"], case["company_id"], case["code"]) == ("open", "C1", "CERT_REVOKED")
    assert case["next"] == ["order", "close"]
    assert police.post("/api/cases", json={"violation_id": revoked}).status_code == 409  # one case per violation

    early = company.post(f"/api/cases/{case['id']}/answer", data={"note": "已整改"})
    assert early.status_code == 409
    assert "案件当前为「已立案」" in early.json()["detail"]
    assert police.post(f"/api/cases/{case['id']}/order", json={"note": "限期整改"}).status_code == 422  # no deadline
    ordered = police.post(f"/api/cases/{case['id']}/order", json={"note": "停止该员上岗", "deadline": "2026-03-10"})
    assert ordered.json()["status"] == "ordered"
    assert company.post(f"/api/cases/{case['id']}/close", json={}).status_code == 403  # not the company's step
    assert other.get(f"/api/cases/{case['id']}").status_code == 404  # another tenant's case does not exist for it

    seen = company.get("/api/cases").json()
    assert [c["id"] for c in seen["data"]] == [case["id"]]
    assert seen["data"][0]["next"] == ["answer"]
    answered = company.post(
        f"/api/cases/{case['id']}/answer",
        data={"note": "已停止王强上岗，补办证件中"},
        files={"attachment": ("整改报告.pdf", b"%PDF-1.4 report" + bytes(300_000), "application/pdf")},  # > 64 KB
    )
    assert answered.status_code == 200
    steps = answered.json()["steps"]
    assert [s["action"] for s in steps] == ["open", "order", "answer"]
    download = police.get(f"/api/cases/{case['id']}/steps/{steps[-1]['id']}/attachment")
    assert download.content == b"%PDF-1.4 report" + bytes(300_000)

    closed = police.post(f"/api/cases/{case['id']}/close", json={"note": "复查合格"})
    assert closed.json()["status"] == "closed"
    assert [s["actor"] for s in closed.json()["steps"]] == ["police", "police", "pingan", "police"]
    with Session(engine) as session:
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.target == str(case["id"]))).all()
    assert {"case.open", "case.order", "case.answer", "case.close"} <= set(actions)
    month = f"{local_date(utcnow()):%Y-%m}"
    report = police.get("/api/reports/monthly", params={"month": month}).json()["rows"]
    cases = {r["item"]: r["value"] for r in report if r["section"] == "案件 / cases"}
    assert cases["本月立案 / opened this month"] >= 1
    assert cases["已结案 / closed"] >= 1


def test_overdue_cases_are_found_and_companies_cannot_open_cases(login: Login, revoked: int) -> None:
    police, company = login("police"), login("pingan")
    assert company.post("/api/cases", json={"violation_id": revoked}).status_code == 403
    case = police.post("/api/cases", json={"violation_id": revoked}).json()
    past = date(2026, 1, 5).isoformat()  # long gone
    police.post(f"/api/cases/{case['id']}/order", json={"note": "限期整改", "deadline": past})

    overdue = police.get("/api/cases", params={"overdue": "true"}).json()["data"]

    assert [c["id"] for c in overdue] == [case["id"]]
    assert overdue[0]["overdue"] is True


def _page_login(client: TestClient, username: str) -> str:
    """Log in through the form as a browser does; the session's CSRF token from a page."""
    client.post("/login", data={"username": username, "password": f"{username}-demo"})
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/cases").text)
    assert token
    return token.group(1)


def test_the_pages_take_a_case_from_violation_to_closed(login: Login, revoked: int) -> None:
    police, company = login("admin"), login("admin")  # two browsers; each logs in through the form below
    for client in (police, company):
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token")
    police_token, company_token = _page_login(police, "police"), _page_login(company, "pingan")

    listed = police.get("/cases")
    assert f'id="violation-{revoked}"' in listed.text
    assert "保安员证已被吊销" in listed.text
    opened = police.post("/cases/open", data={"csrf_token": police_token, "violation_id": revoked})
    case_url = str(opened.url)
    assert "/cases/" in case_url
    assert "已立案" in opened.text
    ordered = police.post(
        f"{case_url}/order", data={"csrf_token": police_token, "note": "停止上岗", "deadline": "2026-03-20"}
    )
    assert "整改中" in ordered.text

    mine = company.get("/cases")
    assert "整改中" in mine.text
    assert 'id="open-violations"' not in mine.text  # opening cases is the regulator's
    refused = company.post(f"{case_url}/close", data={"csrf_token": company_token})
    assert refused.status_code == 409
    assert "此操作不属于您的角色" in refused.text
    answered = company.post(
        f"{case_url}/answer",
        data={"csrf_token": company_token, "note": "已停止该员上岗"},
        files={"attachment": ("整改照片.jpg", b"\xff\xd8jpeg", "image/jpeg")},
    )
    assert "已回复" in answered.text
    assert "整改照片.jpg" in answered.text

    closed = police.post(f"{case_url}/close", data={"csrf_token": police_token, "note": "复查合格"})
    assert 'title="closed"' in closed.text
    assert closed.text.count("<li>") == 4  # opened, ordered, answered, closed
