"""Account controls: disabling, keys revoked with a password change, security headers, login CSRF, Secure cookie."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central.access import auth
from central.access.models import AccountCreate, Role
from central.app import create_app
from central.config import AccessSettings, CentralSettings
from tests.fixtures.central import TEST_ID_PROTECTION
from tests.fixtures.served import serving
from tests.fixtures.tenants import account, demo_settings, keys_for

PASSWORD, NEW_PASSWORD = "first-password-1", "second-password-2"


@pytest.fixture(name="admin")
def admin_fixture(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(demo_settings(tmp_path), engine=sqlite_engine, run_ingest=False)
    with TestClient(app, headers={auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]}) as client:
        yield client


def _new_account(engine: Engine) -> tuple[int, str]:
    username = f"u-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        created = auth.create_account(session, AccountCreate(username=username, password=PASSWORD, role=Role.ADMIN))
    assert created.id is not None
    return created.id, username


def _key_for(admin: TestClient, account_id: int) -> str:
    return str(admin.post("/api/auth/keys", json={"account_id": account_id, "name": "t"}).json()["key"])


def _as(admin: TestClient, key: str) -> int:
    status: int = admin.get("/api/auth/me", headers={auth.API_KEY_HEADER: key}).status_code
    return status


def _login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    body = {"username": username, "password": password}
    status: int = client.post("/api/auth/login", json=body, headers={auth.API_KEY_HEADER: ""}).status_code
    return status


def test_a_disabled_account_can_neither_log_in_nor_use_its_keys(admin: TestClient, sqlite_engine: Engine) -> None:
    account_id, username = _new_account(sqlite_engine)
    key = _key_for(admin, account_id)
    assert _as(admin, key) == 200
    disabled = admin.post(f"/api/accounts/{account_id}/disable")
    assert (disabled.status_code, disabled.json()["active"]) == (200, False)
    assert _as(admin, key) == 401
    assert _login(admin, username) == 401
    assert admin.post(f"/api/accounts/{account_id}/enable").json()["active"] is True
    assert _login(admin, username) == 200
    assert _as(admin, key) == 401  # keys stay revoked
    own = account(sqlite_engine, "admin").id
    assert admin.post(f"/api/accounts/{own}/disable").status_code == 409
    actions = {e["action"] for e in admin.get("/api/audit").json()["data"]}
    assert {"account.disable", "account.enable"} <= actions
    assert employers_may_not_disable(admin, sqlite_engine, account_id)


def employers_may_not_disable(admin: TestClient, engine: Engine, account_id: int) -> bool:
    employer = {auth.API_KEY_HEADER: keys_for(engine)["pingan"]}
    status: int = admin.post(f"/api/accounts/{account_id}/disable", headers=employer).status_code
    return status == 403


def test_a_password_change_revokes_the_accounts_api_keys(admin: TestClient, sqlite_engine: Engine) -> None:
    account_id, username = _new_account(sqlite_engine)
    key = _key_for(admin, account_id)
    assert _login(admin, username) == 200
    csrf = admin.get("/api/auth/me", headers={auth.API_KEY_HEADER: ""}).headers["X-CSRF-Token"]
    change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    headers = {auth.API_KEY_HEADER: "", "X-CSRF-Token": csrf}
    assert admin.post("/api/auth/password", json=change, headers=headers).status_code == 204
    assert _as(admin, key) == 401


def test_pages_and_answers_carry_security_headers(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    with serving(create_app(settings, engine=sqlite_engine, run_ingest=False), settings) as url:
        key = {auth.API_KEY_HEADER: keys_for(sqlite_engine)["pingan"]}
        responses = [httpx.get(f"{url}/login"), httpx.get(f"{url}/board", headers=key), httpx.get(f"{url}/api/sites")]
    for response in responses:
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self'" in response.headers["content-security-policy"]


def test_a_login_posted_from_another_site_is_refused(admin: TestClient) -> None:
    form = {"username": "pingan", "password": "pingan-demo"}
    for origin in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}, {"Origin": "null"}):
        page = admin.post("/login", data=form, headers=origin | {auth.API_KEY_HEADER: ""}, follow_redirects=False)
        assert page.status_code == 403, origin
        assert _login_with(admin, origin) == 403
    same = {"Origin": "http://testserver"}
    assert admin.post("/login", data=form, headers=same, follow_redirects=False).status_code == 303
    assert _login_with(admin, same) == 200
    assert _login_with(admin, {}) == 200  # no browser, no Origin


def _login_with(client: TestClient, headers: dict[str, str]) -> int:
    body = {"username": "pingan", "password": "pingan-demo"}
    status: int = client.post("/api/auth/login", json=body, headers=headers | {auth.API_KEY_HEADER: ""}).status_code
    return status


def test_the_session_cookie_is_secure_unless_in_demo_mode(sqlite_engine: Engine, tmp_path: Path) -> None:
    assert AccessSettings().secure_cookie
    assert not AccessSettings(demo=True).secure_cookie
    assert not AccessSettings(cookie_secure=False).secure_cookie
    _, username = _new_account(sqlite_engine)
    settings = CentralSettings(data_dir=tmp_path, id_protection=TEST_ID_PROTECTION, client_id="central-cookie-test")
    with TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False)) as client:
        response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()


def test_behind_a_proxy_that_rewrites_host_the_public_url_is_this_site(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path, public_url="https://central.example.org")
    with TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False)) as client:
        ours = {"Origin": "https://central.example.org"}
        assert _login_with(client, ours) == 200
        assert _login_with(client, {"Origin": "https://evil.example"}) == 403
