"""The FastAPI application: routers, and a lifespan that creates the database and runs ingest."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from central import id_protect, portal_app
from central.api import health, operations, police, registry, terminals, watchlist
from central.api.deps import csrf_protect, require_admin
from central.config import CentralSettings
from central.db import create_db, make_engine
from central.ingest import Ingest

logger = logging.getLogger(__name__)


def create_app(settings: CentralSettings, *, engine: Engine | None = None, run_ingest: bool = True) -> FastAPI:
    """The central app; ``run_ingest=False`` serves the API only (tests, read replicas).

    Raises IdProtectionError when ``id_protection.key`` is missing or the demo key outside demo mode.
    """
    cipher = settings.id_cipher()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        db = engine if engine is not None else make_engine(settings.database_url_resolved)
        id_protect.bind(db, cipher)
        create_db(db)
        app.state.engine = db
        app.state.ingest = Ingest(settings, db) if run_ingest else None
        if app.state.ingest is not None:
            app.state.ingest.start()
        try:
            async with portal_app.running(app, db, settings):
                yield
        finally:
            if app.state.ingest is not None:
                app.state.ingest.stop()
            if own_engine:
                db.dispose()

    app = FastAPI(
        title="guardpost central",
        description="保安员持证上岗考勤 / security-guard identity and attendance",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],  # cookie-authenticated writes carry the session's token
    )
    app.state.settings = settings
    app.state.ingest = None
    for module in (health, operations, police, terminals, watchlist):
        app.include_router(module.router)
    # The registry API is the administrator's: ID numbers in clear, writes.
    app.include_router(registry.router, dependencies=[Depends(require_admin)])
    portal_app.install(app, settings)
    return app
