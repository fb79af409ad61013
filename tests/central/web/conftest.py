"""The administration pages' client: logged in as the demo administrator through the form, with its CSRF token."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings


@pytest.fixture
def admin(sqlite_engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    settings = CentralSettings(
        data_dir=tmp_path,
        client_id=f"central-admin-{uuid.uuid4().hex[:6]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
    )
    with TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False)) as client:
        client.post("/login", data={"username": "admin", "password": "admin-demo"})
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/admin").text)
        assert token
        yield client, token.group(1)
