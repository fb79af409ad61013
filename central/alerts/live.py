"""Server-sent events for the police page: alert changes fanned out to every connected stream.

One ``AlertHub`` per app polls the alert table a few times a second while
anyone listens (ingest may run in another process, so the database is the
one place every new alert is seen), and puts each new alert or status
change on the queue of every subscriber whose scope allows it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.scope import Scope
from central.alerts import queries as alert_queries
from central.alerts.models import AlertDetail
from central.db import fanout
from central.db.fanout import PollingHub, sse_stream
from central.db.outage import Outage
from central.db.types import utcnow

POLL_S = fanout.POLL_S
# A commit can land a little after the clock time stamped on its row: look back this far.
OVERLAP = timedelta(seconds=5)
# Streams end after this long and the browser reconnects; a stream that never ends
# would hold up a graceful server shutdown.
STREAM_MAX_S = fanout.STREAM_MAX_S


class AlertHub(PollingHub[AlertDetail, Scope]):
    def __init__(self, engine: Engine, data_dir: Path, poll_s: float = POLL_S) -> None:
        super().__init__(poll_s, Outage("database (live alerts)", "live alert pages get nothing new until it is back"))
        self._engine = engine
        self._data_dir = data_dir
        self._seen: dict[uuid.UUID, str] = {}
        self._cursor = utcnow()

    def _restart(self) -> None:
        self._cursor, self._seen = utcnow(), {}

    def _poll(self, keys: set[Scope]) -> dict[Scope, list[AlertDetail]]:
        started = utcnow()
        with Session(self._engine) as session:
            rows = alert_queries.alerts_changed_since(session, self._cursor - OVERLAP)
            changed = [a for a in rows if self._seen.get(a.alert_id) != str(a.status)]
            details = [alert_queries.alert_detail(session, a, self._data_dir) for a in changed]
        self._seen = {a.alert_id: str(a.status) for a in rows}
        self._cursor = started
        return {scope: [d for d in details if scope.may_see_alert(d.jurisdiction)] for scope in keys}

    def replay(self, scope: Scope, since: datetime) -> list[AlertDetail]:
        """What changed since ``since`` that ``scope`` may see: sent first to a (re)connecting page."""
        with Session(self._engine) as session:
            rows = alert_queries.alerts_changed_since(session, since)
            return [
                alert_queries.alert_detail(session, a, self._data_dir)
                for a in rows
                if scope.may_see_alert(a.jurisdiction)
            ]


def _event(detail: AlertDetail) -> str:
    # The id is the change's time: a reconnecting browser sends it back as Last-Event-ID.
    return f"event: alert\nid: {detail.changed_at.isoformat()}\ndata: {detail.model_dump_json()}\n\n"


def resume_point(last_event_id: str | None, since: str | None) -> datetime | None:
    """Where a stream resumes: the Last-Event-ID a browser sends back, else the page's own ``since``."""
    for value in (last_event_id, since):
        try:
            parsed = datetime.fromisoformat(value) if value else None
        except ValueError:
            continue
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return None


async def alert_events(hub: AlertHub, scope: Scope, since: datetime | None) -> AsyncIterator[str]:
    """The SSE body: missed changes since ``since``, then live ``alert`` events, keep-alives, and the end."""
    replay = None if since is None else (lambda: hub.replay(scope, since))
    async for chunk in sse_stream(hub, scope, _event, replay, max_s=STREAM_MAX_S):
        yield chunk
