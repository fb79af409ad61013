"""``/healthz`` and ``/readyz``: each readiness check named, 503 when one fails, nothing secret shown."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.db import migrations
from protocol.mqtt import MqttSettings
from tests.fixtures.central import TEST_ID_PROTECTION


def _settings(data_dir: Path, **fields: object) -> CentralSettings:
    return CentralSettings(
        data_dir=data_dir,
        client_id=f"t-{uuid.uuid4().hex[:8]}",
        access=AccessSettings(demo=True),
        retention=RetentionSettings(purge_enabled=False),
        **fields,  # type: ignore[arg-type]
    )


def test_ready_without_ingest_and_without_a_login(engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path), engine=engine, run_ingest=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert list(checks) == ["database", "broker", "migrations", "photo_store"]
    assert checks["database"]["ok"] is True
    assert checks["broker"] == {"ok": None, "detail": "ingest not running in this process"}
    assert checks["migrations"] == {"ok": True, "detail": f"at head {migrations.head()}"}
    assert checks["photo_store"]["ok"] is True
    assert not list((tmp_path / "photos").iterdir())  # the probe file is gone


def test_not_ready_names_each_failing_check_and_no_secret(sqlite_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "photos").write_bytes(b"")  # the photo store is a file: nothing can be written into it
    settings = CentralSettings(
        data_dir=tmp_path,
        mqtt=MqttSettings(port=1, username="central", password="broker-secret"),
        client_id=f"t-{uuid.uuid4().hex[:8]}",
        id_protection=TEST_ID_PROTECTION,
        retention=RetentionSettings(purge_enabled=False),
    )
    with TestClient(create_app(settings, engine=sqlite_engine)) as client:
        migrations.stamp(sqlite_engine, "0012")  # after start (which upgrades): one revision behind the code
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"] == {"ok": False, "detail": "not connected"}
    assert checks["migrations"]["ok"] is False
    assert "at 0012" in checks["migrations"]["detail"]
    assert "guardpost registry db upgrade" in checks["migrations"]["detail"]
    assert checks["photo_store"]["ok"] is False
    for secret in (str(tmp_path), "broker-secret", str(sqlite_engine.url.database)):
        assert secret not in response.text


def test_a_database_newer_than_the_software_is_not_ready(sqlite_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path), engine=sqlite_engine, run_ingest=False)) as client:
        with sqlite_engine.begin() as connection:  # as a later release would leave it
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False, "detail": f"at 9999, newer than this software (head {migrations.head()})"
    }  # fmt: skip
