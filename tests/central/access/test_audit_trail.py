"""Every security-relevant action is in the audit log: who, when, from which address, what.

Logins (success, failure, lockout), the administrator's registry writes
(PUT, DELETE, card issue, import), timesheet exports, read back through
``GET /api/audit`` as the administrator.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.access import auth
from central.app import create_app
from central.config import AccessSettings
from tests.fixtures.tenants import demo_settings, keys_for

ADDRESS = "198.51.100.23"


@pytest.fixture(name="client")
def client_fixture(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The app (3 failed logins lock an account out), seen from ADDRESS, as the administrator by API key."""
    access = AccessSettings(demo=True, login_max_failures=3)
    app = create_app(demo_settings(tmp_path, access=access), engine=sqlite_engine, run_ingest=False)
    headers = {auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]}
    with TestClient(app, headers=headers, client=(ADDRESS, 50000)) as client:
        yield client


def _entries(client: TestClient, action: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = client.get("/api/audit", params={"action": action}).json()["data"]
    return rows


def _login(client: TestClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    status: int = client.post("/api/auth/login", json=body, headers={auth.API_KEY_HEADER: ""}).status_code
    return status


def test_logins_are_audited_with_the_client_address(client: TestClient) -> None:
    assert _login(client, "pingan", "pingan-demo") == 200
    assert [_login(client, "jinxiu", "wrong") for _ in range(3)] == [401, 401, 401]
    success = _entries(client, "login.success")[0]
    assert (success["actor"], success["role"], success["address"]) == ("pingan", "company", ADDRESS)
    assert success["at"]
    failures = _entries(client, "login.failure")
    assert len(failures) == 3
    assert {(f["actor"], f["address"]) for f in failures} == {("jinxiu", ADDRESS)}
    lockout = _entries(client, "login.lockout")
    assert [(e["actor"], e["address"]) for e in lockout] == [("jinxiu", ADDRESS)]
    assert _login(client, "nobody\u202e\n", "wrong") == 401  # what was typed, kept as typed
    assert _entries(client, "login.failure")[0]["actor"] == "nobody\u202e\n"


def test_registry_writes_imports_and_exports_are_audited(client: TestClient) -> None:
    site = f"S-{uuid.uuid4().hex[:6]}"
    body = {"id": site, "name_zh": "测试楼", "kind": "office", "region": "110105", "jurisdiction": "110105-WJ"}
    assert client.put("/api/admin/sites", json=body).status_code == 200
    assert client.delete(f"/api/admin/sites/{site}").status_code == 204
    csv = f"编号,名称,类型,行政区划\n{site}C,甲公司,保安服务公司,110105\n".encode()
    assert client.post("/api/admin/import/companies", files={"file": ("c.csv", csv, "text/csv")}).status_code == 200
    assert client.get("/api/admin/timesheets/daily", params={"date": "2026-03-02", "format": "csv"}).status_code == 200
    assert client.get("/api/exports/timesheet.xlsx", params={"site_id": "S2", "date": "2026-03-02"}).status_code == 200

    put = _entries(client, "registry.put.sites")[0]
    assert (put["actor"], put["target"], put["address"]) == ("admin", f"sites:{site}", ADDRESS)
    assert str(put["detail"]).startswith("created ")
    deleted = _entries(client, "registry.delete.sites")[0]
    assert (deleted["target"], deleted["address"]) == (f"sites:{site}", ADDRESS)
    imported = _entries(client, "registry.import.companies")[0]
    assert (imported["target"], imported["address"]) == ("c.csv", ADDRESS)
    daily = _entries(client, "export.timesheet.csv")[0]
    assert (daily["actor"], daily["address"]) == ("admin", ADDRESS)
    assert "2026-03-02" in str(daily["detail"])
    assert _entries(client, "export.timesheet.xlsx")[0]["target"] == "S2"
