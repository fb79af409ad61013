"""Login hardening: lockout after repeated failures (per account and per address), password change, CSRF."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access import auth
from central.access.models import Account, AccountCreate, Role
from central.access.throttle import LoginThrottle
from central.app import create_app
from central.config import AccessSettings
from tests.fixtures.tenants import demo_settings

PASSWORD, NEW_PASSWORD = "first-password-1", "second-password-2"


@pytest.fixture(name="client")
def client_fixture(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The app with a low lockout threshold (3 per account, 5 per address)."""
    access = AccessSettings(demo=True, login_max_failures=3, login_max_failures_per_address=5)
    app = create_app(demo_settings(tmp_path, access=access), engine=sqlite_engine, run_ingest=False)
    with TestClient(app) as client:
        yield client


def new_account(engine: Engine) -> str:
    username = f"u-{uuid.uuid4().hex[:10]}"
    with Session(engine) as session:
        auth.create_account(session, AccountCreate(username=username, password=PASSWORD, role=Role.ADMIN))
    return username


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    status: int = client.post("/api/auth/login", json={"username": username, "password": password}).status_code
    return status


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(
    client: TestClient, sqlite_engine: Engine
) -> None:
    victim, other = new_account(sqlite_engine), new_account(sqlite_engine)
    assert [log_in(client, victim, "wrong") for _ in range(3)] == [401, 401, 401]
    locked = client.post("/api/auth/login", json={"username": victim, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "too many failed logins" in locked.json()["detail"]
    assert log_in(client, other) == 200  # another account from the same address is not locked
    page = client.post("/login", data={"username": victim, "password": PASSWORD})
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text


def test_failures_across_accounts_lock_the_address_out(client: TestClient, sqlite_engine: Engine) -> None:
    names = [new_account(sqlite_engine) for _ in range(3)]
    statuses = [log_in(client, names[i % 2], "wrong") for i in range(4)]  # 2 per account: none locked yet
    assert statuses == [401] * 4
    assert log_in(client, f"nobody-{uuid.uuid4().hex[:6]}", "x") == 401  # the fifth failure from this address
    assert log_in(client, names[2]) == 429  # right password, fresh account, same address


def test_lockout_ends_and_success_clears_the_count(engine: Engine) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    now = [start]
    throttle = LoginThrottle(engine, max_per_account=2, max_per_address=100, window_s=60, lockout_s=300,
                             clock=lambda: now[0])  # fmt: skip
    user, other = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    throttle.failed(user, "10.0.0.1")
    throttle.succeeded(user)
    assert throttle.failed(user, "10.0.0.1") is False  # the earlier failure was cleared by the success
    assert throttle.failed(user, "10.0.0.2") is True
    assert throttle.retry_after(user, "10.0.0.9") == pytest.approx(300)
    now[0] = start + timedelta(seconds=301)
    assert throttle.retry_after(user, "10.0.0.9") is None
    now[0] = start + timedelta(seconds=400)
    throttle.failed(other, None)
    now[0] = start + timedelta(seconds=500)  # outside the window: the old failure no longer counts
    assert throttle.failed(other, None) is False


def test_workers_share_the_count(engine: Engine) -> None:
    """Two workers (two throttles on one database): a guesser alternating between them is counted once."""
    first, second = (LoginThrottle(engine, max_per_account=3, max_per_address=100) for _ in range(2))
    user = f"c-{uuid.uuid4().hex[:6]}"
    assert first.failed(user, "10.0.0.1") is False
    assert second.failed(user, "10.0.0.1") is False
    assert first.failed(user, "10.0.0.1") is True
    assert second.retry_after(user, None) == pytest.approx(900, abs=5)


def test_password_change_needs_the_old_password_and_ends_other_sessions(
    client: TestClient, sqlite_engine: Engine
) -> None:
    username = new_account(sqlite_engine)
    with TestClient(client.app) as other_device:
        assert log_in(other_device, username) == 200
        response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        csrf = {"X-CSRF-Token": response.headers["X-CSRF-Token"]}
        change = {"old_password": "not-the-password", "new_password": NEW_PASSWORD}
        assert client.post("/api/auth/password", json=change, headers=csrf).status_code == 403
        weak = {"old_password": PASSWORD, "new_password": "changeme"}
        assert client.post("/api/auth/password", json=weak, headers=csrf).status_code == 422
        good = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert client.post("/api/auth/password", json=good).status_code == 403  # no CSRF token
        assert client.post("/api/auth/password", json=good, headers=csrf).status_code == 204
        assert client.get("/api/auth/me").status_code == 200  # this session stays
        assert other_device.get("/api/auth/me").status_code == 401  # the other one ended
    assert log_in(client, username) == 401
    assert log_in(client, username, NEW_PASSWORD) == 200


def test_password_page_posts_its_csrf_token(client: TestClient, sqlite_engine: Engine) -> None:
    username = new_account(sqlite_engine)
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 200
    page = client.get("/account/password")
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token is not None
    form = {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert client.post("/account/password", data=form).status_code == 403
    assert client.post("/account/password", data=form | {"csrf_token": "0" * 64}).status_code == 403
    done = client.post("/account/password", data=form | {"csrf_token": token.group(1)})
    assert done.status_code == 200
    assert 'id="password-done"' in done.text
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 200  # followed to /login


def test_api_key_writes_need_no_csrf_token(client: TestClient, sqlite_engine: Engine) -> None:
    username = new_account(sqlite_engine)
    with Session(sqlite_engine) as session:
        admin = session.exec(select(Account).where(Account.username == username)).one()
        key = auth.create_api_key(session, admin, "csrf-test")[1]
        body = {"account_id": admin.id, "name": "by key"}
    assert log_in(client, username) == 200  # a session cookie is present too: the key decides
    assert client.post("/api/auth/keys", json=body, headers={"X-API-Key": key}).status_code == 201
    assert client.post("/api/auth/keys", json=body).status_code == 403  # the same write by cookie, no token
