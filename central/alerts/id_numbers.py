"""Taps against the wanted list by ID number: the card holder's registered number, or the number read.

A terminal searches its list by face (and by the number of a resident ID card
it reads); an entry without a photo, or with a poor one, is never hit by an
IC-card tap. So central compares, for every new check-in without a hit from the
terminal, the ID number of the guard the card is registered to — and of a
resident ID card tapped by someone unregistered — with the list, by their keyed
look-up hashes (both are sealed at rest). One query per batch of events.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from central.registry.models import Guard
from central.watchlist.models import WatchlistEntry


@dataclass(frozen=True, slots=True)
class Wanted:
    entry_id: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class WantedNumbers:
    """Which of a batch's guards, and which ID numbers read from cards, are on the list."""

    by_guard: dict[str, Wanted] = field(default_factory=dict)
    by_hash: dict[str, Wanted] = field(default_factory=dict)

    def of(self, guard_id: str | None, number_hash: str | None) -> Wanted | None:
        """The entry the card holder (else the number read from the card) is on, if any."""
        if guard_id is not None and guard_id in self.by_guard:
            return self.by_guard[guard_id]
        return self.by_hash.get(number_hash) if number_hash is not None else None


def read_wanted(session: Session, guard_ids: Collection[str], number_hashes: Collection[str]) -> WantedNumbers:
    """The list entries of ``guard_ids``' registered numbers and of ``number_hashes`` (first entry by id)."""
    by_guard: dict[str, Wanted] = {}
    if guard_ids:
        query = (
            sa_select(col(Guard.id), col(WatchlistEntry.id), col(WatchlistEntry.name_zh))
            .join(WatchlistEntry, col(WatchlistEntry.id_number_hash) == col(Guard.id_number_hash))
            .where(col(Guard.id).in_(sorted(guard_ids)))
            .order_by(col(WatchlistEntry.id).desc())  # the first entry by id wins below
        )
        by_guard = {guard_id: Wanted(entry_id, name) for guard_id, entry_id, name in session.execute(query).all()}
    by_hash: dict[str, Wanted] = {}
    if number_hashes:
        by_number = (
            sa_select(col(WatchlistEntry.id_number_hash), col(WatchlistEntry.id), col(WatchlistEntry.name_zh))
            .where(col(WatchlistEntry.id_number_hash).in_(sorted(number_hashes)))
            .order_by(col(WatchlistEntry.id).desc())
        )
        by_hash = {str(h): Wanted(entry_id, name) for h, entry_id, name in session.execute(by_number).all()}
    return WantedNumbers(by_guard, by_hash)
