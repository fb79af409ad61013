"""Server-sent events for the police page: alert changes fanned out to every connected stream.

One ``AlertHub`` per app polls the alert table a few times a second while
anyone listens (ingest may run in another process, so the database is the
one place every new alert is seen), and puts each new alert or status
change on the queue of every subscriber whose scope allows it; new registry
hits (a registered guard's ID number on the list, found by a sweep) too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from central.access.scope import Scope
from central.alerts import queries as alert_queries
from central.alerts.models import Alert, AlertDetail, RegistryHitPublic
from central.db.outage import Outage, is_outage
from central.db.types import utcnow
from central.registry.models import GuardPublic

logger = logging.getLogger(__name__)

POLL_S = 0.25
# A commit can land a little after the clock time stamped on its row: look back this far.
OVERLAP = timedelta(seconds=5)
# Streams end after this long and the browser reconnects; a stream that never ends
# would hold up a graceful server shutdown.
STREAM_MAX_S = 30.0
KEEPALIVE_S = 10.0

# The card holder of an alert's check-in, as registered (check-ins sit above alerts: handed in).
Holder = Callable[[Session, uuid.UUID], GuardPublic | None]
# What a live page is sent: an alert (new, moved, escalated) or a new registry hit.
Change = AlertDetail | RegistryHitPublic


class AlertHub:
    def __init__(self, engine: Engine, data_dir: Path, poll_s: float = POLL_S, holder: Holder | None = None) -> None:
        self._engine = engine
        self._data_dir = data_dir
        self._holder = holder
        self._poll_s = poll_s
        self._subscribers: dict[asyncio.Queue[Change], Scope] = {}
        self._seen: dict[uuid.UUID, str] = {}
        self._seen_hits: set[int] = set()
        self._cursor = utcnow()
        self._outage = Outage("database (live alerts)", "live alert pages get nothing new until it is back")

    @property
    def listeners(self) -> int:
        return len(self._subscribers)

    def subscribe(self, scope: Scope) -> asyncio.Queue[Change]:
        if not self._subscribers:
            self._cursor, self._seen, self._seen_hits = utcnow(), {}, set()  # only changes from now on
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=1000)
        self._subscribers[queue] = scope
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._subscribers.pop(queue, None)

    async def run(self) -> None:
        """Poll while anyone listens; runs until cancelled."""
        while True:
            await asyncio.sleep(self._poll_s)
            if not self._subscribers:
                continue
            try:
                changes = await asyncio.to_thread(self._poll)
            except SQLAlchemyError as exc:
                if not is_outage(exc):
                    logger.warning("alert poll failed; retrying", exc_info=True)
                self._outage.failed(exc)
                continue
            self._outage.recovered()
            for change in changes:
                self._publish(change)

    def _poll(self) -> list[Change]:
        started = utcnow()
        with Session(self._engine) as session:
            rows = alert_queries.alerts_changed_since(session, self._cursor - OVERLAP)
            changed = [a for a in rows if self._seen.get(a.alert_id) != _version(a)]
            details: list[Change] = [self.detail(session, a) for a in changed]
            hits = alert_queries.registry_hits_since(session, self._cursor - OVERLAP)
        self._seen = {a.alert_id: _version(a) for a in rows}
        new_hits = [h for h in hits if h.id not in self._seen_hits]
        self._seen_hits = {h.id for h in hits}
        self._cursor = started
        return details + new_hits

    def replay(self, scope: Scope, since: datetime) -> list[Change]:
        """What changed since ``since`` that ``scope`` may see: sent first to a (re)connecting page."""
        with Session(self._engine) as session:
            rows = alert_queries.alerts_changed_since(session, since)
            changes: list[Change] = [self.detail(session, a) for a in rows]
            changes += alert_queries.registry_hits_since(session, since)
        return [c for c in changes if scope.may_see_alert(c.jurisdiction)]

    def detail(self, session: Session, alert: Alert) -> AlertDetail:
        """``alert`` as a page shows it, with the card holder when the hub was given the way to find them."""
        guard = self._holder(session, alert.alert_id) if self._holder else None
        return alert_queries.alert_detail(session, alert, self._data_dir, guard)

    def _publish(self, change: Change) -> None:
        for queue, scope in list(self._subscribers.items()):
            if scope.may_see_alert(change.jurisdiction):
                with contextlib.suppress(asyncio.QueueFull):  # a stalled page misses pushes, not the server
                    queue.put_nowait(change)


def _version(alert: Alert) -> str:
    """What a page shows of an alert that can change: its status, and whether it was escalated."""
    return f"{alert.status}/{alert.escalated_at is not None}"


def _event(change: Change) -> str:
    # The id is the change's time: a reconnecting browser sends it back as Last-Event-ID.
    if isinstance(change, RegistryHitPublic):
        kind, at = "registry_hit", change.first_seen_at
    else:
        kind, at = "alert", change.changed_at
    return f"event: {kind}\nid: {at.isoformat()}\ndata: {change.model_dump_json()}\n\n"


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
    """The SSE body: missed changes since ``since``, then live ``alert`` and ``registry_hit`` events,
    keep-alives, and the end."""
    queue = hub.subscribe(scope)  # before the replay, so that nothing falls between the two
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_MAX_S
    try:
        yield "retry: 1000\n: connected\n\n"
        if since is not None:
            for change in await asyncio.to_thread(hub.replay, scope, since):
                yield _event(change)
        while (left := deadline - loop.time()) > 0:
            try:
                change = await asyncio.wait_for(queue.get(), timeout=min(left, KEEPALIVE_S))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield _event(change)
    finally:
        hub.unsubscribe(queue)
