"""Server-sent events for the police page: alert changes fanned out to every connected stream.

One ``AlertHub`` per app polls the alert table a few times a second while
anyone listens (``central.db.fanout``: ingest may run in another process, so
the database is the one place every new alert is seen), and puts each new
alert, status change or escalation on the queue of every subscriber whose
scope allows it; new registry hits (a registered guard's ID number on the
list, found by a sweep) too.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.scope import Scope
from central.alerts import queries as alert_queries
from central.alerts.models import Alert, AlertDetail, RegistryHitPublic
from central.db import fanout
from central.db.fanout import PollingHub, sse_stream
from central.db.outage import Outage
from central.db.types import utcnow
from central.registry.models import GuardPublic
from central.watchlist.portraits import Portraits

POLL_S = fanout.POLL_S
# A commit can land a little after the clock time stamped on its row: look back this far.
OVERLAP = timedelta(seconds=5)
# Streams end after this long and the browser reconnects; a stream that never ends
# would hold up a graceful server shutdown.
STREAM_MAX_S = fanout.STREAM_MAX_S

# The card holder of an alert's check-in, as registered (check-ins sit above alerts: handed in).
Holder = Callable[[Session, uuid.UUID], GuardPublic | None]
# What a live page is sent: an alert (new, moved, escalated) or a new registry hit.
Change = AlertDetail | RegistryHitPublic


class AlertHub(PollingHub[Change, Scope]):
    def __init__(
        self, engine: Engine, portraits: Portraits, poll_s: float = POLL_S, holder: Holder | None = None
    ) -> None:
        super().__init__(poll_s, Outage("database (live alerts)", "live alert pages get nothing new until it is back"))
        self._engine = engine
        self._portraits = portraits
        self._holder = holder
        self._seen: dict[uuid.UUID, str] = {}
        self._seen_hits: set[int] = set()
        self._cursor = utcnow()

    def _restart(self) -> None:
        self._cursor, self._seen, self._seen_hits = utcnow(), {}, set()

    def _poll(self, keys: set[Scope]) -> dict[Scope, list[Change]]:
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
        changes = details + new_hits
        return {scope: [c for c in changes if scope.may_see_alert(c.jurisdiction)] for scope in keys}

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
        return alert_queries.alert_detail(session, alert, self._portraits, guard)


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
    replay = None if since is None else (lambda: hub.replay(scope, since))
    async for chunk in sse_stream(hub, scope, _event, replay, max_s=STREAM_MAX_S):
        yield chunk
