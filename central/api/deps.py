"""Typed dependencies of the routes: the request's session and the app's settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from central.config import CentralSettings
from central.ingest import Ingest


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_settings(request: Request) -> CentralSettings:
    settings: CentralSettings = request.app.state.settings
    return settings


def get_ingest(request: Request) -> Ingest | None:
    ingest: Ingest | None = request.app.state.ingest
    return ingest


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[CentralSettings, Depends(get_settings)]
IngestDep = Annotated[Ingest | None, Depends(get_ingest)]
