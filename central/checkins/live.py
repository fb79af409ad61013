"""Server-sent events for the on-duty board: each new check-in, told to the pages allowed to read it.

The police page's mechanism (``central.db.fanout``, as ``central.alerts.live``): one
hub per app polls the check-in table while anyone listens (ingest may run in
another process), and each listener gets only the check-ins its scope reads
(``checkin_scope``, the rule of every check-in query): a firm or a company
never hears of another's tap. The event says which site and check-in; the
board then reads its rows through its own scoped queries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.access.scope import Scope
from central.alerts.live import OVERLAP
from central.checkins.models import Checkin
from central.checkins.queries import checkin_scope
from central.db.fanout import POLL_S, PollingHub, sse_stream
from central.db.outage import Outage
from central.db.types import utcnow


@dataclass(frozen=True, slots=True)
class Tapped:
    event_id: uuid.UUID
    site_id: str | None

    def sse(self) -> str:
        return f"event: checkin\ndata: {json.dumps({'event_id': str(self.event_id), 'site_id': self.site_id})}\n\n"


class CheckinHub(PollingHub[Tapped, Scope]):
    def __init__(self, engine: Engine, poll_s: float = POLL_S) -> None:
        super().__init__(poll_s, Outage("database (live board)", "open boards get no new check-ins until it is back"))
        self._engine = engine
        self._seen: set[uuid.UUID] = set()
        self._cursor = utcnow()

    def _restart(self) -> None:
        self._cursor, self._seen = utcnow(), set()

    def _poll(self, keys: set[Scope]) -> dict[Scope, list[Tapped]]:
        """The new check-ins since the last poll, per listening scope: those the scope may read."""
        started = utcnow()
        heard: dict[Scope, list[Tapped]] = {}
        with Session(self._engine) as session:
            recent = col(Checkin.received_at) >= self._cursor - OVERLAP
            window = set(session.exec(select(Checkin.event_id).where(recent)).all())
            new = [e for e in window if e not in self._seen]
            if new:
                for scope in keys:
                    query = select(Checkin.event_id, Checkin.site_id).where(
                        col(Checkin.event_id).in_(new), checkin_scope(scope)
                    )
                    heard[scope] = [Tapped(e, s) for e, s in session.exec(query).all()]
        self._seen = window  # the next look-back overlaps this one: what it saw is not new again
        self._cursor = started
        return heard


def checkin_events(hub: CheckinHub, scope: Scope) -> AsyncIterator[str]:
    """The SSE body: ``checkin`` events for the scope, keep-alives, and the end (the browser reconnects)."""
    return sse_stream(hub, scope, Tapped.sse)
