"""Routes for property firms and security companies: attendance and violations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session

from central import crud
from central.api.deps import SessionDep
from central.attendance import summarise
from central.models import AttendancePublic, Site, ViolationPublic

router = APIRouter(prefix="/api", tags=["attendance"])


def _site(session: Session, site_id: str) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise HTTPException(status_code=404, detail=f"场所不存在 / unknown site {site_id!r}")
    return site


@router.get("/attendance")
def attendance(
    session: SessionDep,
    site_id: str,
    day: Annotated[date, Query(alias="date", description="local date at the site, YYYY-MM-DD")],
) -> list[AttendancePublic]:
    """Per guard at ``site_id`` on ``date``: first tap in, last tap out, taps, violations."""
    site = _site(session, site_id)
    return summarise(crud.attendance_taps(session, site.id, day), site.timezone)


@router.get("/violations")
def violations(
    session: SessionDep,
    site_id: str | None = None,
    day: Annotated[date | None, Query(alias="date")] = None,
    code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ViolationPublic]:
    """Violations, newest first; reasons in Chinese and English with their legal source."""
    if site_id is not None:
        _site(session, site_id)
    return crud.list_violations(session, site_id=site_id, day=day, code=code, limit=limit)
