"""What terminals say of themselves: their retained status (online, outbox depth, versions, staleness)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from central.db.types import utcnow
from central.registry.models import Terminal
from protocol.messages import TerminalStatus


def record_status(engine: Engine, status: TerminalStatus) -> bool:
    """Update the terminal's last status; False for a terminal that is not registered."""
    with Session(engine) as session:
        terminal = session.get(Terminal, status.terminal_id)
        if terminal is None:
            return False
        terminal.online = status.online
        # Central's clock, not the terminal's: silence is judged by central, and terminal clocks drift.
        terminal.last_seen_at = utcnow()
        if status.at is not None:  # published a moment ago by the terminal's clock: the offset, latency included
            terminal.clock_offset_s = round((status.at - terminal.last_seen_at).total_seconds(), 3)
        terminal.outbox_depth = status.outbox_depth
        terminal.oldest_pending_s = status.oldest_pending_s
        terminal.software_version = status.software_version
        terminal.watchlist_version = status.watchlist_version
        terminal.watchlist_stale = status.watchlist_stale
        if status.online:  # the last will says nothing of the roster: keep what was last reported
            terminal.roster_version = status.roster_version
            terminal.roster_stale = status.roster_stale
        session.add(terminal)
        session.commit()
    return True
