"""One password policy for new accounts and changes; usernames normalised and unique whatever their case.

Through the API: ``POST /api/accounts`` as the administrator, ``POST
/api/auth/login``, ``POST /api/auth/password``.
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

GOOD = "a-good-long-password"


@pytest.fixture(name="admin")
def admin_fixture(sqlite_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    access = AccessSettings(demo=True, login_max_failures=3)
    app = create_app(demo_settings(tmp_path, access=access), engine=sqlite_engine, run_ingest=False)
    with TestClient(app, headers={auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]}) as client:
        yield client


def _create(admin: TestClient, username: str, password: str = GOOD) -> tuple[int, dict[str, object]]:
    response = admin.post("/api/accounts", json={"username": username, "password": password, "role": "admin"})
    return response.status_code, response.json()


def _login(client: TestClient, username: str, password: str = GOOD) -> int:
    body = {"username": username, "password": password}
    status: int = client.post("/api/auth/login", json=body, headers={auth.API_KEY_HEADER: ""}).status_code
    return status


@pytest.mark.parametrize("password", ["changeme", "short-pw-11", "guardpost", "New-User-X12"])
def test_creating_and_changing_refuse_the_same_passwords(admin: TestClient, password: str) -> None:
    name = "new-user-x12" if password == "New-User-X12" else f"u{uuid.uuid4().hex[:8]}"
    assert _create(admin, name, password)[0] == 422
    assert _create(admin, name)[0] == 201
    assert _login(admin, name) == 200
    change = {"old_password": GOOD, "new_password": password}
    as_user = {"X-CSRF-Token": _csrf(admin), auth.API_KEY_HEADER: ""}  # the session's account, not the key's
    refused = admin.post("/api/auth/password", json=change, headers=as_user)
    assert refused.status_code == 422


def _csrf(client: TestClient) -> str:
    return str(client.get("/api/auth/me", headers={auth.API_KEY_HEADER: ""}).headers["X-CSRF-Token"])


@pytest.mark.parametrize("typed", ["  admin", "ADMIN", "Admin ", "ａｄｍｉｎ"])
def test_a_name_that_reads_as_a_taken_one_is_taken(admin: TestClient, typed: str) -> None:
    status, body = _create(admin, typed)
    assert (status, body["code"]) == (409, "access.account_refused")


@pytest.mark.parametrize("typed", ["ad\u202emin", "ad\u200bmin", "ad\x01min", "ad min", "аdmin", "x", ""])
def test_control_bidi_and_look_alike_characters_are_refused(admin: TestClient, typed: str) -> None:
    status, _ = _create(admin, typed)
    assert status == 422


def test_names_are_stored_normalised_and_logins_counted_whatever_the_case(admin: TestClient) -> None:
    stem = uuid.uuid4().hex[:8]
    status, body = _create(admin, f"  Ｏps-{stem}\t")
    assert (status, body["username"]) == (201, f"ops-{stem}")
    assert _login(admin, f"OPS-{stem}") == 200
    wrong = [_login(admin, variant, "wrong") for variant in (f"ops-{stem}", f"OPS-{stem}", f" Ops-{stem}")]
    assert wrong == [401, 401, 401]
    assert _login(admin, f"ops-{stem}") == 429  # the three variants were one account's failures
