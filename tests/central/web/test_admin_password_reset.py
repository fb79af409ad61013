"""An administrator resets another account's password on the administration page: a temporary password
shown once, the account's sessions and keys ended, and at its next login nothing but changing it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access import auth
from central.access.models import Account, AccountCreate, AuditEntry, Role
from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings

OLD_PASSWORD = "wangjing-duty-2026"


@pytest.fixture
def officer(sqlite_engine: Engine) -> Account:
    with Session(sqlite_engine) as session:
        name = f"wj-{uuid.uuid4().hex[:6]}"
        return auth.create_account(
            session, AccountCreate(username=name, password=OLD_PASSWORD, role=Role.POLICE, jurisdiction="110105-WJ")
        )


@pytest.fixture
def other(sqlite_engine: Engine, tmp_path: Path) -> TestClient:
    """A second browser on the same central (the one of the account whose password is reset)."""
    settings = CentralSettings(
        data_dir=tmp_path,
        client_id=f"central-reset-{uuid.uuid4().hex[:6]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
    )
    return TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False))


def _login(client: TestClient, username: str, password: str) -> int:
    answer = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    return int(answer.status_code)


def _csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert token
    return token.group(1)


def test_a_reset_password_is_shown_once_and_must_be_changed_at_the_next_login(
    admin: tuple[TestClient, str], other: TestClient, officer: Account, sqlite_engine: Engine
) -> None:
    client, token = admin
    with other:
        assert _login(other, officer.username, OLD_PASSWORD) == 303
        assert other.get("/cases").status_code == 200
        key = client.post("/admin/keys", data={"csrf_token": token, "account_id": officer.id, "name": "x"})
        assert key.status_code == 200

        page = client.post(f"/admin/accounts/{officer.id}/reset-password", data={"csrf_token": token})

        assert page.status_code == 200
        shown = re.search(r'id="temporary-password">([^<]*)<code class="mono">([^<]+)</code>', page.text)
        assert shown
        assert officer.username in shown.group(1)
        assert "仅显示这一次" in shown.group(1)
        temporary = shown.group(2)
        assert len(temporary) >= 12
        assert temporary not in client.get("/admin").text  # shown once
        assert "待修改临时密码" in client.get("/admin").text
        assert other.get("/cases", follow_redirects=False).status_code == 303  # its session ended
        assert other.get("/api/cases").status_code == 401
        assert _login(other, officer.username, OLD_PASSWORD) == 401

        assert _login(other, officer.username, temporary) == 303
        held = other.get("/cases", follow_redirects=False)
        assert (held.status_code, held.headers["location"]) == (303, "/account/password")
        refused = other.get("/api/cases")
        assert refused.status_code == 403
        assert refused.json()["code"] == "access.password_change_required"
        assert "请先修改密码" in refused.json()["detail"]
        form = other.get("/account/password").text
        assert 'id="password-must-change"' in form
        assert "临时密码" in form
        new = "wangjing-new-duty-9"
        changed = other.post(
            "/account/password",
            data={"csrf_token": _csrf(form), "old_password": temporary, "new_password": new,
                  "new_password_again": new},
        )  # fmt: skip
        assert changed.status_code == 200
        assert 'id="password-done"' in changed.text
        assert other.get("/cases").status_code == 200
        assert other.get("/api/cases").status_code == 200

    with Session(sqlite_engine) as session:
        account = session.get(Account, officer.id)
        assert account is not None
        assert account.must_change_password is False
        entries = session.exec(select(AuditEntry).where(AuditEntry.target == officer.username)).all()
        assert ("admin", "account.password_reset") in {(e.actor, e.action) for e in entries}
        assert (officer.username, "account.password") in {(e.actor, e.action) for e in entries}
        assert temporary not in " ".join(e.detail for e in entries)


def test_a_reset_is_refused_in_words_for_oneself_a_disabled_or_unknown_account_and_a_non_administrator(
    admin: tuple[TestClient, str], other: TestClient, officer: Account, sqlite_engine: Engine
) -> None:
    client, token = admin
    with Session(sqlite_engine) as session:
        me = session.exec(select(Account).where(Account.username == "admin")).one()
    own = client.post(f"/admin/accounts/{me.id}/reset-password", data={"csrf_token": token})
    assert own.status_code == 409
    assert "不能重置自己的密码" in own.text
    assert 'id="temporary-password"' not in own.text

    unknown = client.post("/admin/accounts/999999/reset-password", data={"csrf_token": token})
    assert unknown.status_code == 404
    assert "无此账号" in unknown.text

    client.post(f"/admin/accounts/{officer.id}/disable", data={"csrf_token": token})
    disabled = client.post(f"/admin/accounts/{officer.id}/reset-password", data={"csrf_token": token})
    assert disabled.status_code == 409
    assert "已停用，请先启用" in disabled.text
    client.post(f"/admin/accounts/{officer.id}/enable", data={"csrf_token": token})

    with other:
        assert _login(other, "police", "police-demo") == 303
        page = other.get("/cases").text
        answer = other.post(f"/admin/accounts/{officer.id}/reset-password", data={"csrf_token": _csrf(page)})
        assert answer.status_code == 403
    assert _login(other, officer.username, OLD_PASSWORD) == 303  # unchanged
    with Session(sqlite_engine) as session:
        account = session.get(Account, officer.id)
        assert account is not None
        assert account.must_change_password is False


def test_the_api_resets_another_accounts_password_once_and_refuses_its_own(
    admin: tuple[TestClient, str], officer: Account
) -> None:
    client, token = admin
    client.headers["X-CSRF-Token"] = token  # the page's session, writing through the API
    answer = client.post(f"/api/accounts/{officer.id}/reset-password")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["username"] == officer.username
    temporary = body["temporary_password"]
    assert len(temporary) >= 12
    assert temporary not in client.get("/api/audit", params={"action": "account.password_reset"}).text
    with TestClient(client.app) as other:
        old = other.post("/api/auth/login", json={"username": officer.username, "password": OLD_PASSWORD})
        assert old.status_code == 401
        assert other.post("/api/auth/login", json={"username": officer.username, "password": temporary}).is_success
    me = client.get("/api/auth/me").json()
    own = client.post(f"/api/accounts/{me['id']}/reset-password")
    assert (own.status_code, own.json()["code"]) == (409, "access.own_account")
    assert "不能重置自己的密码" in own.json()["detail"]
    assert client.post("/api/accounts/999999/reset-password").status_code == 404
