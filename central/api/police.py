"""Routes for the police: wanted-person alerts and the check-in photos behind them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel

from central import crud
from central.alerts import AlertTransitionError, change_status
from central.api.deps import SessionDep, SettingsDep
from central.models import Alert, AlertPublic, AlertStatus
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


class AlertStatusChange(BaseModel):
    status: AlertStatus


@router.post("/alerts/{alert_id}/status")
def set_alert_status(alert_id: uuid.UUID, change: AlertStatusChange, session: SessionDep) -> AlertPublic:
    """Acknowledge, dispatch, or mark a match false-positive (the workflow only moves forward)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status_code=404, detail="无此警报 / unknown alert")
    try:
        alert = change_status(session, alert, change.status)
    except AlertTransitionError as exc:
        raise HTTPException(status_code=409, detail=f"状态不可变更 / {exc}") from exc
    return crud.alert_public(alert)
