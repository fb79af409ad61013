"""Rosters to terminals: build, compare with what each terminal holds, sign and send what changed.

A terminal reports the roster version it holds in its status (``Terminal.roster_version``).
Each round builds every terminal's roster; a terminal that holds it gets nothing;
one that holds the version last sent to it gets an increment (the guards whose entry
changed, the ids removed); any other (a new terminal, a reinstall, one that
refused an update) gets the whole roster. A roster sent and not yet confirmed is
sent again after ``resend_after_s``. Rounds run every ``interval_s`` and at once
when woken (a registry write through the API wakes the publisher), so a change
reaches the terminals within seconds; a terminal that was offline catches up when
its status arrives. The day changing changes every verdict's day, hence a new
version each day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from central.db.types import utcnow
from central.registry.models import Terminal
from central.rosters.build import Roster, build_roster
from central.rosters.models import RosterPush
from central.watchlist.sync import TEMPLATE_MODEL
from protocol import topics
from protocol.roster_update import UPDATE_SCHEMA
from protocol.signed import sign

logger = logging.getLogger(__name__)

Kind = Literal["full", "incremental"]


def roster_message(roster: Roster, key: Ed25519PrivateKey, base: RosterPush | None) -> tuple[Kind, bytes]:
    """The signed update taking a terminal from ``base`` (None: from nothing) to ``roster``."""
    body: dict[str, Any] = {
        "schema": UPDATE_SCHEMA,
        "terminal_id": roster.terminal_id,
        "site_id": roster.site_id,
        "on": roster.on.isoformat(),
        "version": roster.version,
        "issued_at": utcnow().isoformat(),
        "model": TEMPLATE_MODEL,
        "settings": roster.settings,
    }
    if base is None:
        entries = [roster.entries[g] for g in sorted(roster.entries)]
        return "full", sign(body | {"kind": "full", "base_version": None, "upserts": entries, "removed": []}, key)
    digests = roster.digests()
    changed = [roster.entries[g] for g in sorted(digests) if base.digests.get(g) != digests[g]]
    removed = sorted(set(base.digests) - set(digests))
    increment = {"kind": "incremental", "base_version": base.version, "upserts": changed, "removed": removed}
    return "incremental", sign(body | increment, key)


def _due(terminal: Terminal, roster: Roster, sent: RosterPush | None, now: datetime, resend: timedelta) -> bool:
    """Whether to send: the terminal lacks the roster, and was not just sent it (or spoke since without it)."""
    if terminal.roster_version == roster.version and terminal.roster_stale in (None, "too_old"):
        return False  # too_old with the current version: the terminal's clock, not its roster
    if terminal.online is False:
        return False  # its status on reconnecting asks again
    if sent is None or sent.version != roster.version:
        return True
    # A status since the push that still lacks the roster: the push may be lost (a terminal not yet
    # subscribed, a dropped session). At worst it was still being applied, and the copy is ignored.
    spoke_since = terminal.last_seen_at is not None and terminal.last_seen_at > sent.pushed_at
    return spoke_since or now - sent.pushed_at >= resend


def _base(terminal: Terminal, sent: RosterPush | None) -> RosterPush | None:
    """What an increment can build on: the version last sent, when the terminal says it holds it."""
    if sent is None or terminal.roster_stale is not None or terminal.roster_version != sent.version:
        return None
    return sent


class RosterNotSent(Exception):
    """The broker did not take every roster of a round (central is disconnected)."""


class RosterPublisher:
    """Runs rounds on its own thread until stopped; ``wake`` asks for a round now."""

    def __init__(
        self,
        engine: Engine,
        publish: Callable[[str, bytes], bool],
        key: Ed25519PrivateKey,
        interval_s: float = 10.0,
        resend_after_s: float = 60.0,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        """``publish(topic, payload)``: QoS 1 on central's own broker connection (``Ingest.publish``);
        ``leads()``: whether this worker runs the rounds now (``central.db.leader``)."""
        self._engine, self._publish, self._key, self._leads = engine, publish, key, leads
        self._interval_s, self._resend = interval_s, timedelta(seconds=resend_after_s)
        self._wake, self._stop = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._everyone = True  # the next round builds every terminal's roster
        self._asked: set[str] = set()  # else only these terminals' (their status just arrived)
        self._thread = threading.Thread(target=self._run, name="roster-publisher", daemon=True)
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def wake(self, terminal_id: str | None = None) -> None:
        """A round now: for every terminal (a registry change), or for one whose status just arrived."""
        with self._lock:
            if terminal_id is None:
                self._everyone = True
            else:
                self._asked.add(terminal_id)
        self._wake.set()

    def _next_round(self) -> list[str] | None:
        with self._lock:
            everyone, asked = self._everyone, sorted(self._asked)
            self._everyone, self._asked = False, set()
        return None if everyone else asked

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            self._wake.clear()
            terminal_ids = self._next_round()
            if not self._leads():  # another worker runs the rounds; this one waits for its turn
                self._wake.wait(self._interval_s)
                continue
            try:
                self.sync_once(terminal_ids)
            except (SQLAlchemyError, RosterNotSent) as exc:  # an outage: the next round retries
                if not failing:
                    logger.warning("终端名册下发失败 / roster round failed: %s; retrying every round", exc)
                failing = True
                with self._lock:
                    self._everyone = True  # retried at the next round, not at once
            else:
                if failing:
                    logger.info("终端名册下发已恢复 / roster rounds work again")
                failing = False
                self.rounds += 1
            if not self._wake.wait(self._interval_s):
                self.wake()  # the periodic round: every terminal (the day may have changed)

    def sync_once(self, terminal_ids: list[str] | None = None) -> dict[str, Kind]:
        """One round: send each terminal what it lacks; terminal id -> kind (RosterNotSent when the broker took
        not all: what was sent is recorded, the rest is sent again at the next round)."""
        now = utcnow()
        payloads: dict[str, bytes] = {}
        kinds: dict[str, Kind] = {}
        pushes: dict[str, RosterPush] = {}
        with Session(self._engine) as session:
            query = select(Terminal).order_by(col(Terminal.id))
            if terminal_ids is not None:
                query = query.where(col(Terminal.id).in_(terminal_ids))
            for terminal in session.exec(query).all():
                roster = build_roster(session, terminal)
                last = session.get(RosterPush, terminal.id)
                if not _due(terminal, roster, last, now, self._resend):
                    continue
                kinds[terminal.id], payloads[terminal.id] = roster_message(roster, self._key, _base(terminal, last))
                pushes[terminal.id] = RosterPush(terminal_id=terminal.id, version=roster.version, on=roster.on,
                                                 digests=roster.digests(), pushed_at=now)  # fmt: skip
            sent = [tid for tid, payload in payloads.items() if self._publish(topics.cmd_topic(tid), payload)]
            for terminal_id in sent:
                session.merge(pushes[terminal_id])
            session.commit()
        for terminal_id in sent:
            logger.info("终端名册已下发 / roster sent to %s (%s)", terminal_id, kinds[terminal_id])
        if len(sent) < len(payloads):
            raise RosterNotSent(f"broker not reachable: {len(payloads) - len(sent)} rosters not sent")
        return kinds
