"""``GET /api/terminals``: each terminal's health as central sees it: online, offline or silent.

A terminal retains a status message (online, outbox depth, age of its oldest
unreceipted event, versions, whether it considers its watchlist or roster
stale) on connect and every heartbeat; the broker publishes its last will
(``online: false``) when the connection dies. Central also counts every event
it receives as a sign of life (``last_seen_at``, on central's clock). From
these:

- ``online``: it says so, and central heard from it within ``silent_after_s``;
- ``offline``: its last word was ``online: false`` (clean stop or last will);
- ``silent``: it claims to be online, or never spoke, but nothing has been
  heard for longer than ``silent_after_s``: the will may never come (a
  network partition between the broker and central, a broker restart), so
  silence is flagged on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central.access.scope import Scope
from central.api.deps import ScopeDep, SessionDep, SettingsDep
from central.api.paging import Page, PagingDep, page
from central.db.types import utcnow
from central.registry.models import Site, Terminal
from central.registry.queries import site_scope as sites

router = APIRouter(prefix="/api", tags=["terminals"])

# Three missed heartbeats at the terminal's default heartbeat_s (30 s).
DEFAULT_SILENT_AFTER_S = 90.0
# A terminal clock further off than this stamps wrong times on check-ins (and flags CLOCK_SKEW soon).
CLOCK_OFF_AFTER_S = 60.0

TerminalState = Literal["online", "offline", "silent"]


class TerminalHealthPublic(BaseModel):
    id: str
    site_id: str
    post_name_zh: str
    state: TerminalState
    flagged: bool  # anything but online: someone should look at it
    last_seen_at: datetime | None
    silent_for_s: float | None  # since last_seen_at
    outbox_depth: int | None  # events the terminal holds that central has not receipted
    oldest_pending_s: float | None  # age of the oldest of them when it last reported
    software_version: str | None
    watchlist_version: str | None
    watchlist_stale: str | None  # the terminal's own word: None when current, else needs_full / behind / too_old
    roster_version: str | None
    roster_stale: str | None  # None when current, else refused / needs_full / missing / too_old (docs/roster.md)
    clock_offset_s: float | None  # the terminal's clock minus central's at its last status
    clock_off: bool  # more than CLOCK_OFF_AFTER_S either way


def terminal_state(terminal: Terminal, now: datetime, silent_after_s: float) -> TerminalState:
    """The health verdict for ``terminal`` at ``now`` (pure: no I/O)."""
    if terminal.online is False:
        return "offline"
    if terminal.last_seen_at is None or (now - terminal.last_seen_at).total_seconds() > silent_after_s:
        return "silent"
    return "online"


def terminal_health(terminal: Terminal, now: datetime, silent_after_s: float) -> TerminalHealthPublic:
    state = terminal_state(terminal, now, silent_after_s)
    seen = terminal.last_seen_at
    clock_off = terminal.clock_offset_s is not None and abs(terminal.clock_offset_s) > CLOCK_OFF_AFTER_S
    return TerminalHealthPublic(
        id=terminal.id,
        site_id=terminal.site_id,
        post_name_zh=terminal.post_name_zh,
        state=state,
        # A refused roster update is someone tampering with commands, or a key mismatch: look at it.
        flagged=state != "online" or terminal.roster_stale == "refused" or clock_off,
        last_seen_at=seen,
        silent_for_s=(now - seen).total_seconds() if seen is not None else None,
        outbox_depth=terminal.outbox_depth,
        oldest_pending_s=terminal.oldest_pending_s,
        software_version=terminal.software_version,
        watchlist_version=terminal.watchlist_version,
        watchlist_stale=terminal.watchlist_stale,
        roster_version=terminal.roster_version,
        roster_stale=terminal.roster_stale,
        clock_offset_s=terminal.clock_offset_s,
        clock_off=clock_off,
    )


def list_terminal_health(
    session: Session, scope: Scope, silent_after_s: float, now: datetime | None = None
) -> list[TerminalHealthPublic]:
    """Health of the terminals at the sites ``scope`` may see; flagged ones first."""
    query = select(Terminal).join(Site, col(Site.id) == col(Terminal.site_id)).where(sites(scope))
    at = now or utcnow()
    health = [terminal_health(t, at, silent_after_s) for t in session.exec(query.order_by(col(Terminal.id)))]
    return sorted(health, key=lambda h: not h.flagged)  # stable: by id within each group


@router.get("/terminals")
def terminals(
    session: SessionDep,
    scope: ScopeDep,
    settings: SettingsDep,
    paging: PagingDep,
    silent_after_s: Annotated[
        float | None, Query(gt=0, description="silence after which a terminal is flagged, seconds")
    ] = None,
    state: TerminalState | None = None,
) -> Page[TerminalHealthPublic]:
    """Each terminal's state, last seen time and outbox backlog; ``state`` filters, e.g. ``silent``.

    ``silent_after_s`` defaults to the deployment's ``terminal_silent_after_s`` setting."""
    health = list_terminal_health(session, scope, silent_after_s or settings.terminal_silent_after_s)
    return page(paging.slice([h for h in health if state is None or h.state == state]), paging)
