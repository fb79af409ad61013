"""Accounts and API keys managed on the administration page: create, disable, a key shown once, revoked."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access.auth import API_KEY_HEADER
from central.access.models import Account, ApiKey, AuditEntry


def test_an_account_is_created_disabled_and_its_key_shown_once_then_revoked(
    admin: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    client, token = admin
    name = f"wj-{uuid.uuid4().hex[:6]}"
    form = {"csrf_token": token, "username": name, "password": "correct-horse-9", "role": "police",
            "tenant": "110105-WJ", "display_name": "望京值班"}  # fmt: skip
    created = client.post("/admin/accounts", data=form)
    assert created.status_code == 200
    assert f'id="account-{name}"' in created.text
    with Session(sqlite_engine) as session:
        account = session.exec(select(Account).where(Account.username == name)).one()
    assert (account.role, account.jurisdiction, account.active) == ("police", "110105-WJ", True)

    weak = client.post("/admin/accounts", data={"csrf_token": token, "username": f"{name}x", "password": "short",
                                                "role": "police", "tenant": "110105-WJ"})  # fmt: skip
    assert weak.status_code == 422
    assert 'id="account-error"' in weak.text

    page = client.post("/admin/keys", data={"csrf_token": token, "account_id": account.id, "name": "接警系统"})
    key = re.search(r'id="new-key">[^<]*<code class="mono">(gpk_[^<]+)</code>', page.text)
    assert key
    assert client.get("/api/auth/me", headers={API_KEY_HEADER: key.group(1)}).json()["username"] == name
    assert key.group(1) not in client.get("/admin").text  # shown once

    client.post(f"/admin/accounts/{account.id}/disable", data={"csrf_token": token})
    with Session(sqlite_engine) as session:
        assert session.get(Account, account.id).active is False  # type: ignore[union-attr]
        revoked = session.exec(select(ApiKey).where(ApiKey.account_id == account.id)).one()
        assert revoked.revoked_at is not None  # disabling revokes its keys
        actions = set(session.exec(select(AuditEntry.action).where(AuditEntry.actor == "admin")).all())
    assert {"account.create", "apikey.create", "account.disable"} <= actions
    assert client.get("/api/auth/me", headers={API_KEY_HEADER: key.group(1)}).status_code == 401
