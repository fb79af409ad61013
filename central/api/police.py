"""Routes for the police: wanted-person alerts and the check-in photos behind them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from central import crud
from central.api.deps import SessionDep, SettingsDep
from central.models import AlertPublic, AlertStatus
from central.photos import read_photo

router = APIRouter(prefix="/api", tags=["police"])


@router.get("/alerts")
def alerts(
    session: SessionDep,
    status: AlertStatus | None = None,
    jurisdiction: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertPublic]:
    """Wanted-person matches, newest first."""
    return crud.list_alerts(session, status=status, jurisdiction=jurisdiction, limit=limit)


@router.get("/checkins/{event_id}/photo", response_class=FileResponse)
def checkin_photo(event_id: uuid.UUID, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """The check-in photo (JPEG) as received from the terminal."""
    relpath = crud.photo_path(session, event_id)
    path = read_photo(settings.data_dir, relpath) if relpath else None
    if path is None:
        raise HTTPException(status_code=404, detail="无此照片 / no photo for this check-in")
    return FileResponse(path, media_type="image/jpeg")
