"""``GET /healthz`` (alive: database and MQTT) and ``GET /readyz`` (ready to serve, each check named).

Neither needs a login, so neither names a host, a path or a credential: only
which check passed, and for the migrations the revision ids.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Response, status
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from central.api.deps import EngineDep, IngestDep, PhotoStoreDep
from central.checkins.photo_store import PhotoStore
from central.db import migrations
from central.db.engine import database_ok

router = APIRouter(tags=["health"])


class HealthPublic(SQLModel):
    status: str  # ok | degraded
    database: bool
    mqtt: bool | None  # None when ingest is not running in this process


class CheckPublic(SQLModel):
    ok: bool | None  # None: not applicable here (no ingest in this process)
    detail: str | None = None


class ReadinessPublic(SQLModel):
    status: str  # ready | not_ready
    checks: dict[str, CheckPublic]


@router.get("/healthz")
def healthz(engine: EngineDep, ingest: IngestDep, response: Response) -> HealthPublic:
    database = database_ok(engine)
    mqtt = ingest.connected if ingest is not None else None
    healthy = database and mqtt is not False
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthPublic(status="ok" if healthy else "degraded", database=database, mqtt=mqtt)


@router.get("/readyz")
def readyz(engine: EngineDep, ingest: IngestDep, photos: PhotoStoreDep, response: Response) -> ReadinessPublic:
    database = database_ok(engine)
    checks = {
        "database": CheckPublic(ok=database),
        "broker": _broker(ingest.connected if ingest is not None else None),
        "migrations": _migrations(engine) if database else CheckPublic(ok=False, detail="database unreachable"),
        "photo_store": _photo_store(photos),
    }
    ready = all(check.ok is not False for check in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessPublic(status="ready" if ready else "not_ready", checks=checks)


def _broker(connected: bool | None) -> CheckPublic:
    if connected is None:
        return CheckPublic(ok=None, detail="ingest not running in this process")
    return CheckPublic(ok=connected, detail=None if connected else "not connected")


@cache
def _head() -> str | None:
    return migrations.head()  # reads the revision files: once per process


def _migrations(engine: Engine) -> CheckPublic:
    try:
        current = migrations.current(engine)
    except SQLAlchemyError:
        return CheckPublic(ok=False, detail="revision unreadable")
    head = _head()
    if current == head:
        return CheckPublic(ok=True, detail=f"at head {head}")
    if current is not None and not migrations.known(current):
        return CheckPublic(ok=False, detail=f"at {current}, newer than this software (head {head})")
    return CheckPublic(ok=False, detail=f"at {current}, head is {head}: run `guardpost registry db upgrade`")


def _photo_store(photos: PhotoStore) -> CheckPublic:
    """Can a photo be stored now (the store's reason only: no path, no host)."""
    problem = photos.check()
    return CheckPublic(ok=problem is None, detail=problem)
