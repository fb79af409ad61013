"""Server-sent events for the on-duty board: each new check-in, told to the pages allowed to read it.

The same mechanism as the police page's alerts (``central.alerts.live``): one
hub per app polls the check-in table while anyone listens (ingest may run in
another process), and each listener gets only the check-ins its scope reads
(``checkin_scope``, the rule of every check-in query): a firm or a company
never hears of another's tap. The event says which site and check-in; the
board then reads its rows through its own scoped queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from central.access.scope import Scope
from central.alerts.live import KEEPALIVE_S, OVERLAP, POLL_S, STREAM_MAX_S
from central.checkins.models import Checkin
from central.checkins.queries import checkin_scope
from central.db.outage import Outage, is_outage
from central.db.types import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tapped:
    event_id: uuid.UUID
    site_id: str | None

    def sse(self) -> str:
        return f"event: checkin\ndata: {json.dumps({'event_id': str(self.event_id), 'site_id': self.site_id})}\n\n"


class CheckinHub:
    def __init__(self, engine: Engine, poll_s: float = POLL_S) -> None:
        self._engine = engine
        self._poll_s = poll_s
        self._subscribers: dict[asyncio.Queue[Tapped], Scope] = {}
        self._seen: set[uuid.UUID] = set()
        self._cursor = utcnow()
        self._outage = Outage("database (live board)", "open boards get no new check-ins until it is back")

    @property
    def listeners(self) -> int:
        return len(self._subscribers)

    def subscribe(self, scope: Scope) -> asyncio.Queue[Tapped]:
        if not self._subscribers:
            self._cursor, self._seen = utcnow(), set()  # only check-ins from now on
        queue: asyncio.Queue[Tapped] = asyncio.Queue(maxsize=1000)
        self._subscribers[queue] = scope
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Tapped]) -> None:
        self._subscribers.pop(queue, None)

    async def run(self) -> None:
        """Poll while anyone listens; runs until cancelled."""
        while True:
            await asyncio.sleep(self._poll_s)
            if not self._subscribers:
                continue
            listeners = list(self._subscribers.items())
            try:
                heard = await asyncio.to_thread(self._poll, {scope for _q, scope in listeners})
            except SQLAlchemyError as exc:
                if not is_outage(exc):
                    logger.warning("check-in poll failed; retrying", exc_info=True)
                self._outage.failed(exc)
                continue
            self._outage.recovered()
            for queue, scope in listeners:
                for tapped in heard.get(scope, ()):
                    with contextlib.suppress(asyncio.QueueFull):  # a stalled page misses pushes, not the server
                        queue.put_nowait(tapped)

    def _poll(self, scopes: set[Scope]) -> dict[Scope, list[Tapped]]:
        """The new check-ins since the last poll, per listening scope: those the scope may read."""
        started = utcnow()
        since = self._cursor - OVERLAP
        recent = col(Checkin.received_at) >= since
        heard: dict[Scope, list[Tapped]] = {}
        with Session(self._engine) as session:
            window = set(session.exec(select(Checkin.event_id).where(recent)).all())
            new = [e for e in window if e not in self._seen]
            if new:
                for scope in scopes:
                    query = select(Checkin.event_id, Checkin.site_id).where(
                        col(Checkin.event_id).in_(new), checkin_scope(scope)
                    )
                    heard[scope] = [Tapped(e, s) for e, s in session.exec(query).all()]
        self._seen = window  # the next look-back overlaps this one: what it saw is not new again
        self._cursor = started
        return heard


async def checkin_events(hub: CheckinHub, scope: Scope) -> AsyncIterator[str]:
    """The SSE body: ``checkin`` events for the scope, keep-alives, and the end (the browser reconnects)."""
    queue = hub.subscribe(scope)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_MAX_S
    try:
        yield "retry: 1000\n: connected\n\n"
        while (left := deadline - loop.time()) > 0:
            try:
                tapped = await asyncio.wait_for(queue.get(), timeout=min(left, KEEPALIVE_S))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield tapped.sse()
    finally:
        hub.unsubscribe(queue)
