"""Registry sweeps: every registered guard's ID number compared with the wanted list (智能核查比对).

A wanted person may work as a guard under their own name: the terminal's face
search misses them when the list entry has no photo (or a poor one). Both ID
numbers are sealed at rest; their keyed look-up hashes (``id_number_hash``)
are compared, so a sweep never opens a number. Each (guard, entry) pair found
is kept once in ``RegistryHit`` — a later sweep only moves its ``last_seen_at``
— and a pair no longer found (entry removed, number corrected) is ``cleared``.
A cleared pair found again is a new hit.

The police of the guard's jurisdiction are told of each new hit
(``RegistryHitAlert``): the jurisdiction of a site the guard is rostered at,
else the entry's own. ``pending_notices`` / ``mark_notified`` let the caller
that owns the MQTT client publish them after the commit, and again later if the
broker was down. Who triggered a sweep is recorded by the delivery layer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from central.alerts.models import RegistryHit, RegistryHitStatus
from central.db.types import utcnow
from central.registry.models import Guard, Site
from central.registry.roster import Shift, ShiftAssignment
from central.watchlist.models import WatchlistEntry
from protocol.messages import RegistryHitAlert


@dataclass(frozen=True, slots=True)
class Hit:
    """A registered guard whose ID number is on the list, as one sweep found it."""

    hit_id: int
    guard_id: str
    guard_name: str
    entry_id: str
    entry_name: str
    jurisdiction: str
    first_seen_at: datetime
    new: bool  # not open before this sweep: the police are to be told


@dataclass(frozen=True, slots=True)
class SweepReport:
    hits: tuple[Hit, ...]  # every pair found, new or already known
    cleared: int  # open pairs this sweep no longer found

    @property
    def new(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.new)


@dataclass(frozen=True, slots=True)
class _Pair:
    guard_id: str
    guard_name: str
    entry_id: str
    entry_name: str
    entry_jurisdiction: str


def _in(column: object, values: Collection[str] | None) -> ColumnElement[bool]:
    return true() if values is None else col(column).in_(list(values))


def _pairs(session: Session, guard_ids: Collection[str] | None, entry_ids: Collection[str] | None) -> list[_Pair]:
    """(guard, entry) pairs whose ID-number hashes are equal; the numbers themselves are never read."""
    query = (
        sa_select(
            col(Guard.id),
            col(Guard.name_zh),
            col(WatchlistEntry.id),
            col(WatchlistEntry.name_zh),
            col(WatchlistEntry.jurisdiction),
        )  # fmt: skip
        .join(WatchlistEntry, col(WatchlistEntry.id_number_hash) == col(Guard.id_number_hash))
        .where(_in(Guard.id, guard_ids), _in(WatchlistEntry.id, entry_ids))
    )
    return [_Pair(*row) for row in session.execute(query.order_by(col(Guard.id), col(WatchlistEntry.id))).all()]


def rostered_jurisdiction(session: Session, guard_id: str, on: date) -> str | None:
    """The jurisdiction of a site the guard is rostered at on ``on`` (the first by site id), if any."""
    query = (
        select(Site.jurisdiction)
        .join(Shift, col(Shift.site_id) == col(Site.id))
        .join(ShiftAssignment, col(ShiftAssignment.shift_id) == col(Shift.id))
        .where(ShiftAssignment.guard_id == guard_id, col(ShiftAssignment.valid_from) <= on)
        .where(or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= on))
    )
    return session.exec(query.order_by(col(Site.id))).first()


def _known(session: Session, guard_ids: Collection[str] | None, entry_ids: Collection[str] | None) -> list[RegistryHit]:
    query = select(RegistryHit).where(
        _in(RegistryHit.guard_id, guard_ids), _in(RegistryHit.watchlist_entry_id, entry_ids)
    )
    return list(session.exec(query).all())


def _record(session: Session, pair: _Pair, row: RegistryHit | None, now: datetime) -> tuple[RegistryHit, bool]:
    """The pair's row, inserted or moved on; True when it is a new hit."""
    if row is None:
        jurisdiction = rostered_jurisdiction(session, pair.guard_id, now.date()) or pair.entry_jurisdiction
        row = RegistryHit(guard_id=pair.guard_id, watchlist_entry_id=pair.entry_id, jurisdiction=jurisdiction,
                          first_seen_at=now, last_seen_at=now)  # fmt: skip
        session.add(row)
        return row, True
    new = row.status != RegistryHitStatus.OPEN
    if new:
        row.status, row.notified_at = RegistryHitStatus.OPEN, None
    row.last_seen_at = now
    session.add(row)
    return row, new


def _sweep_once(
    session: Session, guard_ids: Collection[str] | None, entry_ids: Collection[str] | None, now: datetime
) -> SweepReport:
    known = {(r.guard_id, r.watchlist_entry_id): r for r in _known(session, guard_ids, entry_ids)}
    found: list[tuple[_Pair, RegistryHit, bool]] = []
    for pair in _pairs(session, guard_ids, entry_ids):
        row, new = _record(session, pair, known.pop((pair.guard_id, pair.entry_id), None), now)
        found.append((pair, row, new))
    gone = [r for r in known.values() if r.status == RegistryHitStatus.OPEN]
    for row in gone:
        row.status = RegistryHitStatus.CLEARED
        session.add(row)
    session.commit()
    hits = tuple(
        Hit(row.id or 0, p.guard_id, p.guard_name, p.entry_id, p.entry_name, row.jurisdiction, row.first_seen_at, new)
        for p, row, new in found
    )
    return SweepReport(hits, len(gone))


def sweep(
    session: Session,
    *,
    guard_ids: Collection[str] | None = None,
    entry_ids: Collection[str] | None = None,
    now: datetime | None = None,
) -> SweepReport:
    """Compare registered guards (all, or ``guard_ids``) with the list (all, or ``entry_ids``); commits.

    Two sweeps at once may both insert a new pair: the loser's transaction is
    rolled back and the sweep run again, finding the winner's row.
    """
    at = now or utcnow()
    try:
        return _sweep_once(session, guard_ids, entry_ids, at)
    except IntegrityError:
        session.rollback()
        return _sweep_once(session, guard_ids, entry_ids, at)


def pending_notices(session: Session) -> list[RegistryHitAlert]:
    """Open hits the police have not been sent yet, as their messages, oldest first."""
    query = (
        select(RegistryHit, Guard.name_zh, Guard.employer_id, WatchlistEntry.name_zh)
        .join(Guard, col(Guard.id) == col(RegistryHit.guard_id))
        .join(WatchlistEntry, col(WatchlistEntry.id) == col(RegistryHit.watchlist_entry_id))
        .where(RegistryHit.status == RegistryHitStatus.OPEN, col(RegistryHit.notified_at).is_(None))
        .order_by(col(RegistryHit.first_seen_at), col(RegistryHit.id))
    )
    return [_message(*row) for row in session.exec(query).all()]


def _message(hit: RegistryHit, guard_name: str, employer_id: str | None, entry_name: str) -> RegistryHitAlert:
    return RegistryHitAlert(
        hit_id=hit.id or 0,
        first_seen_at=hit.first_seen_at,
        jurisdiction=hit.jurisdiction,
        guard_id=hit.guard_id,
        guard_name=guard_name,
        employer_id=employer_id,
        watchlist_entry_id=hit.watchlist_entry_id,
        watchlist_name=entry_name,
    )


def mark_notified(session: Session, hit_ids: Collection[int], at: datetime | None = None) -> None:
    """The police were sent these hits; commits."""
    for hit in session.exec(select(RegistryHit).where(col(RegistryHit.id).in_(list(hit_ids)))).all():
        hit.notified_at = at or utcnow()
        session.add(hit)
    session.commit()
