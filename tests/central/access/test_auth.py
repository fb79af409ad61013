"""Accounts, sessions, API keys, demo mode, placeholder secrets, and the append-only audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from central.access import auth
from central.access.models import AuditEntry
from central.app import create_app
from central.config import AccessSettings, CentralSettings
from tests.central.db.test_migrations import AUDIT_OVERWRITES
from tests.fixtures.central import TEST_ID_PROTECTION
from tests.fixtures.tenants import Apps, account, keys_for

PROTECTED = [
    "/api/sites",
    "/api/attendance?site_id=S2&date=2026-04-01",
    "/api/violations",
    "/api/alerts",
    "/api/checkins?date=2026-04-01",
    "/api/guards",
    "/api/audit",
    "/api/auth/me",
    "/api/admin/guards",
]


def test_login_sets_a_session_cookie_and_logout_ends_it(apps: Apps) -> None:
    with TestClient(apps.client("admin").app) as client:
        assert client.post("/api/auth/login", json={"username": "pingan", "password": "wrong"}).status_code == 401
        assert client.post("/api/auth/login", json={"username": "nobody", "password": "x"}).status_code == 401
        response = client.post("/api/auth/login", json={"username": "pingan", "password": "pingan-demo"})
        assert response.status_code == 200
        assert "httponly" in response.headers["set-cookie"].lower()
        me = client.get("/api/auth/me").json()
        assert (me["username"], me["role"], me["company_id"]) == ("pingan", "company", "C1")
        assert client.post("/api/auth/logout").status_code == 403  # a cookie's write needs its CSRF token
        csrf = {"X-CSRF-Token": response.headers["X-CSRF-Token"]}
        assert client.post("/api/auth/logout", headers=csrf).status_code == 204
        client.cookies.clear()
        assert client.get("/api/auth/me").status_code == 401


def test_passwords_are_stored_hashed(apps: Apps) -> None:
    stored = account(apps.engine, "pingan").password_hash
    assert stored.startswith("$argon2id$")
    assert "pingan-demo" not in stored


@pytest.mark.parametrize("url", PROTECTED)
def test_api_needs_credentials(apps: Apps, url: str) -> None:
    with TestClient(apps.client("admin").app) as anonymous:
        assert anonymous.get(url).status_code == 401
        assert anonymous.get(url, headers={"X-API-Key": "gpk_nope_nope"}).status_code == 401


def test_pages_send_strangers_to_the_login_form(apps: Apps) -> None:
    with TestClient(apps.client("admin").app, follow_redirects=False) as anonymous:
        response = anonymous.get("/board")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/board"


def test_registry_admin_api_is_for_administrators_only(apps: Apps) -> None:
    assert apps.client("admin").get("/api/admin/guards").status_code == 200
    for user in ("police", "pingan", "jinxiu"):
        assert apps.client(user).get("/api/admin/guards").status_code == 403


def test_api_key_created_by_admin_works_until_revoked(apps: Apps) -> None:
    admin = apps.client("admin")
    pingan_id = account(apps.engine, "pingan").id
    created = admin.post("/api/auth/keys", json={"account_id": pingan_id, "name": "payroll"}).json()
    assert created["key"].startswith("gpk_")
    with TestClient(admin.app) as client:
        headers = {"Authorization": f"Bearer {created['key']}"}
        assert client.get("/api/auth/me", headers=headers).json()["username"] == "pingan"
        assert admin.post(f"/api/auth/keys/{created['id']}/revoke").json()["revoked_at"] is not None
        assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert apps.client("pingan").post("/api/auth/keys", json={"account_id": pingan_id}).status_code == 403


def test_admin_creates_accounts_checked_for_their_tenant(apps: Apps) -> None:
    admin = apps.client("admin")
    body = {"username": "c1-payroll", "password": "a-long-password-1", "role": "company", "company_id": "NOPE"}
    assert admin.post("/api/accounts", json=body).status_code == 409
    assert admin.post("/api/accounts", json=body | {"company_id": "C1", "password": "short"}).status_code == 422
    created = admin.post("/api/accounts", json=body | {"username": f"c1-{apps.data_dir.name[-6:]}", "company_id": "C1"})
    assert created.status_code == 201
    assert created.json()["company_id"] == "C1"


def test_demo_accounts_and_key_are_refused_outside_demo_mode(engine: Engine, tmp_path: Path) -> None:
    keys_for(engine)  # the demo accounts exist in this database
    settings = CentralSettings(data_dir=tmp_path, client_id="central-auth-test", id_protection=TEST_ID_PROTECTION)
    with TestClient(create_app(settings, engine=engine, run_ingest=False)) as client:
        assert client.post("/api/auth/login", json={"username": "admin", "password": "admin-demo"}).status_code == 401
        assert client.get("/api/sites", headers={"X-API-Key": auth.DEMO_API_KEY}).status_code == 401


@pytest.mark.parametrize("password", ["admin", "changeme", "admin-demo", "short"])
def test_placeholder_bootstrap_password_is_refused_outside_demo_mode(tmp_path: Path, password: str) -> None:
    access = AccessSettings(bootstrap_admin_password=SecretStr(password))
    with pytest.raises(auth.AccessError, match="bootstrap_admin_password"):
        create_app(
            CentralSettings(data_dir=tmp_path, access=access, id_protection=TEST_ID_PROTECTION), run_ingest=False
        )
    demo = access.model_copy(update={"demo": True})
    assert create_app(CentralSettings(data_dir=tmp_path, access=demo), run_ingest=False) is not None


def test_audit_log_has_no_route_that_changes_it(apps: Apps) -> None:
    paths = apps.client("admin").get("/openapi.json").json()["paths"]
    assert set(paths["/api/audit"]) == {"get"}
    assert not [p for p, ops in paths.items() if "audit" in p and set(ops) - {"get"}]


def test_audit_log_refuses_update_and_delete_in_the_database(apps: Apps) -> None:
    apps.client("police").get("/api/guards/G1")  # a police look-up: one entry
    with Session(apps.engine) as session:
        assert session.get(AuditEntry, 1) is not None
        dialect = apps.engine.dialect.name
        for statement in ("UPDATE auditentry SET actor = 'x'", "DELETE FROM auditentry", *AUDIT_OVERWRITES[dialect]):
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text(statement))
            session.rollback()


def test_police_look_ups_and_exports_are_audited(apps: Apps) -> None:
    apps.client("police").get("/api/guards/G2")
    apps.client("police").get("/api/guards", params={"q": "李"})
    apps.client("pingan").get("/api/exports/timesheet.csv", params={"site_id": "S2", "date": "2026-04-01"})
    entries = apps.client("admin").get("/api/audit", params={"limit": 1000}).json()["data"]
    seen = {(e["actor"], e["action"], e["target"]) for e in entries}
    assert ("police", "person.lookup", "G2") in seen
    assert ("police", "person.search", "李") in seen
    assert ("pingan", "export.timesheet.csv", "S2") in seen
    assert apps.client("police").get("/api/audit").status_code == 403
