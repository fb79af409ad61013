"""The two queries behind a registry snapshot: the terminal's side and the card holder's side of a tap.

Each reads the rows around the tap's day (the day itself is decided once the
site's zone is known, in ``central.registry.snapshot``). A card is found by any
of the keys a tap of its reader family looks up (``protocol.cards``), through
whoever held it around that day (``central.registry.cards``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from sqlalchemy import BindParameter, ColumnElement, Date, Executable, and_, bindparam, false, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from central.db.sealing import lookup_hash
from central.registry.cards import CardIssue, CardKey
from central.registry.credentials import Certificate, CompanyCredential, CrossRegionFiling, GuardBar
from central.registry.employment import Employment, GuardLevel
from central.registry.models import Company, Guard, ServiceContract, Site, Terminal
from central.registry.roster import Post
from protocol.cards import CardNumberError, from_tap, lookup_keys
from protocol.checkin import CardKind

Tap = tuple[CardKind, str]  # a card's reader family and the uid (or ID number) it read

# The two statements are built once, with these parameters: building them per tap cost more than running them.
_LO, _HI = bindparam("lo", type_=Date), bindparam("hi", type_=Date)


def _overlaps(model: Any) -> list[ColumnElement[bool]]:
    """``model``'s validity [valid_from, valid_to or open-ended] meets [lo, hi]."""
    return [col(model.valid_from) <= _HI, or_(col(model.valid_to).is_(None), col(model.valid_to) >= _LO)]


@functools.cache
def _site_query(many: bool = False) -> Executable:
    """The terminal, its site and post, and the site's contracts in force within [lo, hi] (``many``: of the
    terminals ``terminal_ids``)."""
    contracts = and_(
        col(ServiceContract.site_id) == col(Site.id),
        col(ServiceContract.valid_from) <= _HI,
        col(ServiceContract.valid_to) >= _LO,
    )
    return (
        sa_select(Terminal, Site, Post, ServiceContract)
        .outerjoin(Site, col(Site.id) == col(Terminal.site_id))
        .outerjoin(Post, col(Post.id) == col(Terminal.post_id))
        .outerjoin(ServiceContract, contracts)
        .where(
            col(Terminal.id).in_(bindparam("terminal_ids", expanding=True))
            if many
            else col(Terminal.id) == bindparam("terminal_id")
        )
    )


HolderKey = Literal["id_numbers", "cards", "guard"]  # what the holder side is found by


@functools.cache
def _holder_query(by: HolderKey) -> Executable:
    """The card holder, employer, certificates issued by ``hi`` and what was in force within [lo, hi].

    The one-to-many joins multiply (certificates x bars x credentials x
    filings), but each is limited to the days around the tap: a row or two each.
    """
    query = (
        sa_select(
            Guard,
            Company,
            Certificate,
            GuardBar,
            CompanyCredential,
            CrossRegionFiling,
            Employment,
            GuardLevel,
            CardIssue,
        )
        .outerjoin(Employment, and_(col(Employment.guard_id) == col(Guard.id), *_overlaps(Employment)))
        .outerjoin(GuardLevel, and_(col(GuardLevel.guard_id) == col(Guard.id), *_overlaps(GuardLevel)))
        # Every company that employed the guard around the tap (or the current one, for a guard with no history).
        .outerjoin(Company, col(Company.id) == func.coalesce(col(Employment.company_id), col(Guard.employer_id)))
        .outerjoin(Certificate, and_(col(Certificate.guard_id) == col(Guard.id), col(Certificate.issued_on) <= _HI))
        .outerjoin(GuardBar, and_(col(GuardBar.guard_id) == col(Guard.id), *_overlaps(GuardBar)))
        .outerjoin(
            CompanyCredential,
            and_(col(CompanyCredential.company_id) == col(Company.id), *_overlaps(CompanyCredential)),
        )
        .outerjoin(
            CrossRegionFiling,
            and_(col(CrossRegionFiling.company_id) == col(Company.id), *_overlaps(CrossRegionFiling)),
        )
        # The rules never read the ID number itself: left sealed (opening it is an AES-GCM decryption a guard).
        .options(defer(Guard.id_number))  # type: ignore[arg-type]  # SQLModel types the column as str
    )
    keys: BindParameter[list[str]] = bindparam("keys", expanding=True)
    if by == "id_numbers":  # the number is sealed at rest: found by its keyed hash
        return query.outerjoin(CardIssue, false()).where(col(Guard.id_number_hash).in_(keys))
    if by == "guard":  # a terminal's roster: the guards it expects, judged before any tap
        return query.outerjoin(CardIssue, false()).where(col(Guard.id).in_(keys))
    # Whoever held a card with one of the tap's keys around its day (central.registry.cards); decided per day below.
    held = and_(
        col(CardIssue.guard_id) == col(Guard.id),
        col(CardIssue.issued_on) <= _HI,
        or_(col(CardIssue.returned_on).is_(None), col(CardIssue.returned_on) > _LO),
    )
    return (
        query.join(CardIssue, held)
        .join(CardKey, col(CardKey.card_uid) == col(CardIssue.card_uid))
        .where(col(CardKey.key).in_(keys))
        .add_columns(col(CardKey.key))  # which of the taps' keys found the row
    )


def site_side(session: Session, terminal_id: str, lo: date, hi: date) -> list[Any]:
    return list(session.execute(_site_query(), {"terminal_id": terminal_id, "lo": lo, "hi": hi}).all())


def sites_side(session: Session, terminal_ids: list[str], lo: date, hi: date) -> dict[str, list[Any]]:
    """``site_side`` of many terminals in one query: each terminal's rows by its id."""
    found: dict[str, list[Any]] = {}
    if terminal_ids:
        for row in session.execute(_site_query(True), {"terminal_ids": terminal_ids, "lo": lo, "hi": hi}).all():
            found.setdefault(row[0].id, []).append(row)
    return found


# Keys per holder-side query: well under PostgreSQL's 65,535 parameters a statement.
_KEYS_PER_QUERY = 5000


def holders_side(session: Session, taps: Iterable[Tap], lo: date, hi: date) -> dict[Tap, list[Any]]:
    """The card holders' side of taps within the same [lo, hi], in a query or two: each tap's rows by (kind,
    uid). Cards are found by their keys, ID cards by their numbers' keyed hashes; a tap that finds nobody
    has no entry."""
    by_card_key: dict[str, list[Tap]] = {}
    by_number_hash: dict[str, list[Tap]] = {}
    for kind, uid in set(taps):
        if kind == CardKind.RESIDENT_ID:
            by_number_hash.setdefault(lookup_hash(session.get_bind(), uid), []).append((kind, uid))
        else:
            for key in tap_keys(kind, uid):
                by_card_key.setdefault(key, []).append((kind, uid))
    found: dict[Tap, list[Any]] = {}
    for row in _many(session, "cards", sorted(by_card_key), lo, hi):
        for tap in by_card_key[row[9]]:  # the key that found the row
            found.setdefault(tap, []).append(row)
    for row in _many(session, "id_numbers", sorted(by_number_hash), lo, hi):
        for tap in by_number_hash[row[0].id_number_hash]:
            found.setdefault(tap, []).append(row)
    return found


def _many(session: Session, by: HolderKey, keys: list[str], lo: date, hi: date) -> list[Any]:
    """The holder-side rows found by ``keys``, a query per ``_KEYS_PER_QUERY`` of them."""
    rows: list[Any] = []
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        params = {"keys": keys[start : start + _KEYS_PER_QUERY], "lo": lo, "hi": hi}
        rows.extend(session.execute(_holder_query(by), params).all())
    return rows


def guards_side(session: Session, guard_ids: list[str], lo: date, hi: date) -> list[Any]:
    """The holder-side rows of several guards at once (grouped by the caller on ``row[0].id``)."""
    return _many(session, "guard", guard_ids, lo, hi)


def tap_keys(kind: CardKind, uid: str) -> list[str]:
    """The card keys a tap of ``uid`` from a reader of family ``kind`` looks up; none for a uid it cannot send."""
    try:
        number = from_tap(kind, uid)
    except CardNumberError:
        return []
    return lookup_keys(number) if number is not None else []
