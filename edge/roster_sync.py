"""Signed roster updates on the terminal: verify, apply, save atomically, swap; and what to report.

``RosterSync`` handles ``guardpost.roster_update/1`` commands (``edge.commands``).
An update is refused, and the roster in use stays, when its signature does not
verify (tampered, or signed by another key), when it was signed for another
terminal, when it is older than the roster in use (a replay), when its templates
are of another face model, or when an increment's base is not the version in
use. The refusal is logged and reported in the terminal's status
(``roster_stale``: ``refused``, ``needs_full``, ``missing``), to which central answers with
the whole roster.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.commands import CommandHandler
from edge.errors import EdgeError
from edge.roster import Roster, RosterEntry
from protocol.checkin import ProtocolError
from protocol.roster_update import UPDATE_SCHEMA, RosterUpdate, verify
from protocol.signed import SignatureError
from shared.face import MODEL_ID

logger = logging.getLogger(__name__)


class RosterUpdateError(EdgeError):
    """A roster update the terminal refused; the roster in use stays."""


class RosterNeedsFull(RosterUpdateError):
    """An increment for another base version: the terminal needs the whole roster."""


class HoldsRoster(Protocol):
    """What the handler swaps the roster in: the check-in pipeline."""

    roster: Roster


class RosterSync(CommandHandler):
    """Applies central's roster updates to ``holder`` and the file at ``path``; ``on_applied`` after each."""

    schemas = frozenset({UPDATE_SCHEMA})
    what = "roster"
    what_zh = "终端名册"
    refused = RosterUpdateError

    def __init__(
        self,
        holder: HoldsRoster,
        path: Path,
        public_key: Ed25519PublicKey,
        terminal_id: str,
        max_age: timedelta = timedelta(hours=48),
        on_applied: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self._holder, self._path, self._key, self._terminal_id = holder, Path(path), public_key, terminal_id
        self._max_age, self._on_applied, self._clock = max_age, on_applied, clock
        self._problem: str | None = None  # refused | needs_full, until an update applies
        self._lock = threading.Lock()

    @property
    def roster(self) -> Roster:
        return self._holder.roster

    def process(self, payload: bytes) -> Roster:
        """Apply one signed update now; raises RosterUpdateError (reported in the status) when refused."""
        try:
            update = self._verified(payload)
            with self._lock:
                new = self._apply(update)
                if new is not self.roster:
                    new.save(self._path)
                    self._holder.roster = new
                self._problem = None
        except RosterNeedsFull:
            self._report("needs_full")
            raise
        except RosterUpdateError:
            self._report("refused")
            raise
        logger.info("终端名册已更新 / roster updated to %s (%s, %d guards)", new.version, update.kind, len(new))
        self._on_applied()
        return new

    def _report(self, problem: str) -> None:
        self._problem = problem
        self._on_applied()  # the status says so at once

    def _verified(self, payload: bytes) -> RosterUpdate:
        try:
            update = verify(payload, self._key)
        except SignatureError as exc:
            raise RosterUpdateError(f"签名无效 / signature: {exc}") from exc
        except ProtocolError as exc:
            raise RosterUpdateError(str(exc)) from exc
        if update.terminal_id != self._terminal_id:
            raise RosterUpdateError(f"roster for terminal {update.terminal_id}, this is {self._terminal_id}")
        if update.model != MODEL_ID:
            raise RosterUpdateError(f"templates of {update.model}; this terminal uses {MODEL_ID}")
        return update

    def _apply(self, update: RosterUpdate) -> Roster:
        current = self.roster
        if update.version == current.version:
            return current  # sent twice (a re-send crossed our status): nothing to do
        if current.issued_at is not None and update.issued_at < current.issued_at:
            raise RosterUpdateError(f"roster {update.version} was issued before the roster in use ({current.version})")
        try:
            upserts = {g.guard_id: RosterEntry.of(g) for g in update.upserts}
        except ValueError as exc:
            raise RosterUpdateError(f"roster {update.version}: {exc}") from exc
        if update.kind == "incremental":
            if update.base_version != current.version:
                raise RosterNeedsFull(f"update {update.base_version} -> {update.version} does not apply to "
                                      f"{current.version}")  # fmt: skip
            kept = {gid: e for gid, e in current.entries.items() if gid not in update.removed}
            upserts = kept | upserts
        return Roster(upserts.values(), version=update.version, issued_at=update.issued_at, on=update.on,
                      terminal_id=update.terminal_id, site_id=update.site_id, settings=update.settings)  # fmt: skip

    def staleness(self) -> str | None:
        """Why the roster in use may be out of date (refused, needs_full, missing, too_old), or None."""
        if self._problem is not None:
            return self._problem
        issued = self.roster.issued_at
        if issued is None:
            return "missing"
        return "too_old" if self._clock() - issued > self._max_age else None

    def status_fields(self) -> dict[str, str | None]:
        return {"roster_version": self.roster.version, "roster_stale": self.staleness()}
