"""Signed watchlist updates on the terminal: verify, apply, save atomically, swap; and staleness.

Owns ``apply_update`` (the current list and a signed message in, the next list out, or a
named error) and ``WatchlistSync``, the handler of central's commands
(``handle_command(topic, payload)``). An update is applied off the MQTT network thread,
saved with ``atomic_writer`` (readers see the old file or the new one, never half), and
only then swapped into the pipeline: a tap uses one whole version. An incremental update
whose base is not the version in use is refused; the terminal keeps its list, reports
``watchlist_stale: needs_full`` and its real version in its status, and central answers
with a full update (docs/watchlist.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import BaseModel, ConfigDict, Field

from edge.commands import CommandHandler
from edge.errors import EdgeError
from edge.watchlist import Watchlist, WatchlistEntry
from edge.watchlist_index import IvfIndex
from protocol.checkin import ProtocolError
from protocol.signed import SignatureError, decode_template
from protocol.watchlist_update import (
    ANNOUNCE_SCHEMA,
    UPDATE_SCHEMA,
    UpdateEntry,
    WatchlistAnnounce,
    WatchlistUpdate,
    verify,
)
from shared.face import MODEL_ID, Embedding

logger = logging.getLogger(__name__)


class WatchlistUpdateError(EdgeError):
    """A watchlist update the terminal refused; the list in use stays."""


class UpdateSignatureError(WatchlistUpdateError):
    """Not signed by the key this terminal trusts, or altered after signing."""


class MalformedUpdate(WatchlistUpdateError):
    """Signed, but not a usable update (bad fields, templates of another face model)."""


class BaseVersionMismatch(WatchlistUpdateError):
    """An incremental update for another base version: the terminal needs a full update."""

    def __init__(self, current: str, base: str | None, version: str) -> None:
        self.current, self.base, self.version = current, base, version
        super().__init__(f"update {base} -> {version} does not apply to version {current}")


class UpdateRollback(WatchlistUpdateError):
    """An update issued before the list in use (a replayed old message)."""


class WatchlistSyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_key_file: Path = Field(description="central's Ed25519 public key (PEM)")
    max_age_h: float = Field(default=48.0, gt=0, description="older than this unconfirmed: stale")


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Central's watchlist public key from a PEM file; ValueError if it is not an Ed25519 key."""
    key = load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def _parse(update_bytes: bytes, public_key: Ed25519PublicKey) -> WatchlistUpdate | WatchlistAnnounce:
    try:
        return verify(update_bytes, public_key)
    except SignatureError as exc:
        raise UpdateSignatureError(str(exc)) from exc
    except ProtocolError as exc:
        raise MalformedUpdate(str(exc)) from exc


def _templates(entry: UpdateEntry) -> list[Embedding]:
    try:
        return [np.frombuffer(decode_template(t), dtype="<f4").astype(np.float32) for t in entry.templates]
    except ValueError as exc:
        raise MalformedUpdate(f"entry {entry.entry_id}: {exc}") from exc


def apply_update(current: Watchlist, update_bytes: bytes, public_key: Ed25519PublicKey) -> Watchlist:
    """The list after a signed update; raises a WatchlistUpdateError subclass when refused.

    A full update replaces the list; an incremental one applies only to its base version.
    """
    update = _parse(update_bytes, public_key)
    if not isinstance(update, WatchlistUpdate):
        raise MalformedUpdate(f"expected {UPDATE_SCHEMA}, got {ANNOUNCE_SCHEMA}")
    return _apply(current, update)


def _apply(current: Watchlist, update: WatchlistUpdate) -> Watchlist:
    if update.model != MODEL_ID:
        raise MalformedUpdate(f"templates of {update.model}; this terminal uses {MODEL_ID}")
    if current.issued_at is not None and update.issued_at < current.issued_at:
        raise UpdateRollback(f"update {update.version} was issued before the list in use ({current.version})")
    upserts = [(WatchlistEntry(e.entry_id, e.name, e.id_number, e.note), _templates(e)) for e in update.upserts]
    try:
        if update.kind == "full":
            return Watchlist.build(upserts, update.version, issued_at=update.issued_at)
        if update.base_version != current.version:
            raise BaseVersionMismatch(current.version, update.base_version, update.version)
        return current.updated(upserts, update.removed, update.version, issued_at=update.issued_at)
    except ValueError as exc:
        raise MalformedUpdate(f"update {update.version}: {exc}") from exc


class HoldsWatchlist(Protocol):
    """What the handler swaps the list in: the check-in pipeline."""

    watchlist: Watchlist


class WatchlistSync(CommandHandler):
    """Applies central's watchlist commands to ``holder`` and the file at ``path``; reports staleness."""

    schemas = frozenset({UPDATE_SCHEMA, ANNOUNCE_SCHEMA})
    what = "watchlist"
    what_zh = "布控名单"
    refused = WatchlistUpdateError

    def __init__(
        self,
        holder: HoldsWatchlist,
        path: Path,
        public_key: Ed25519PublicKey,
        max_age: timedelta = timedelta(hours=48),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self._holder, self._path, self._key = holder, Path(path), public_key
        self._max_age, self._clock = max_age, clock
        self._announced: str | None = None  # central's newest version, as it last told us
        self._announced_at: datetime | None = None
        self._confirmed_at = holder.watchlist.issued_at  # central last vouched for our version then
        self._needs_full = False
        self._reported: str | None = None
        self._lock = threading.Lock()

    @property
    def watchlist(self) -> Watchlist:
        return self._holder.watchlist

    def process(self, payload: bytes) -> Watchlist | None:
        """Apply one signed command now; the new list, or None for an announcement.

        Raises a WatchlistUpdateError subclass when refused (BaseVersionMismatch also marks
        the terminal as needing a full update).
        """
        message = _parse(payload, self._key)
        with self._lock:
            if isinstance(message, WatchlistAnnounce):
                self._note_announce(message)
                return None
            try:
                new = _apply(self.watchlist, message)
            except BaseVersionMismatch:
                self._needs_full, self._announced = True, message.version
                raise
            new.save(self._path)  # an update applied as an overlay writes the overlay only
            if isinstance(new.index, IvfIndex) and not new.mapped:
                new = Watchlist.load(self._path)  # maps the templates from the file, drops the copy
            self._holder.watchlist = new
            self._needs_full, self._announced, self._confirmed_at = False, message.version, message.issued_at
        logger.info("布控名单已更新 / watchlist updated to %s (%s, %d entries)", new.version, message.kind, len(new))
        return new

    def _note_announce(self, message: WatchlistAnnounce) -> None:
        # A replayed old announcement neither moves the announced version back nor refreshes the list.
        if self._announced_at is not None and message.issued_at <= self._announced_at:
            return
        self._announced, self._announced_at = message.version, message.issued_at
        if message.version == self.watchlist.version:
            self._confirmed_at = message.issued_at

    def staleness(self) -> str | None:
        """Why the list in use is stale (``needs_full``, ``behind``, ``too_old``), or None when current."""
        with self._lock:
            version = self.watchlist.version
            if self._needs_full:
                return "needs_full"
            if self._announced is not None and self._announced != version:
                return "behind"
            if self._confirmed_at is None or self._clock() - self._confirmed_at > self._max_age:
                return "too_old"
        return None

    def status_fields(self) -> dict[str, str | None]:
        """For the terminal's status message; logs a warning when the list becomes stale."""
        reason = self.staleness()
        if reason != self._reported:
            if reason is not None:
                logger.warning("布控名单过期 / watchlist %s is stale: %s", self.watchlist.version, reason)
            else:
                logger.info("布控名单已是最新 / watchlist %s is current", self.watchlist.version)
            self._reported = reason
        return {"watchlist_version": self.watchlist.version, "watchlist_stale": reason}
