"""``GET /healthz``: database reachable and, when ingest runs here, MQTT connected."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import SQLModel

from central.api.deps import EngineDep, IngestDep
from central.db.engine import database_ok

router = APIRouter(tags=["health"])


class HealthPublic(SQLModel):
    status: str  # ok | degraded
    database: bool
    mqtt: bool | None  # None when ingest is not running in this process


@router.get("/healthz")
def healthz(engine: EngineDep, ingest: IngestDep, response: Response) -> HealthPublic:
    database = database_ok(engine)
    mqtt = ingest.connected if ingest is not None else None
    healthy = database and mqtt is not False
    if not healthy:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthPublic(status="ok" if healthy else "degraded", database=database, mqtt=mqtt)
