"""The registry as it was on a given day: what the rules read about a tap.

``build_snapshot`` turns database rows into the frozen ``RegistrySnapshot`` that
``central.checkins.rules`` evaluates, as of the event's local date at the site: the
certificate, bars, employer licence or filing, cross-region filings and
service contracts in force that day (``central.registry.credentials`` keeps their
dates). A certificate revoked tomorrow leaves today's tap in order. The
``*_on`` helpers are pure, so that their interval logic is tested without a
database. A snapshot is two queries, each reading the rows around the tap's
day that the ``*_on`` helpers then decide on; ingest reads them for a whole
batch of taps at once (``build_snapshots``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from central.db.sealing import lookup_hash
from central.registry.cards import CardKey, holder_on
from central.registry.credentials import Certificate, CompanyCredential, CredentialKind, CrossRegionFiling, GuardBar
from central.registry.employment import employer_on, level_on
from central.registry.models import (
    Card,
    CertStatus,
    Company,
    CompanyKind,
    Guard,
    ServiceContract,
    Site,
    SiteKind,
    Terminal,
)
from central.registry.roster import Post
from central.registry.snapshot_queries import (
    guards_side,
    holders_side,
    site_side,
    sites_side,
    tap_keys,
)
from protocol.checkin import CardKind, CheckinEvent

DEFAULT_ZONE = "Asia/Shanghai"
_Row = TypeVar("_Row")


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: str
    name_zh: str
    kind: SiteKind
    region: str
    jurisdiction: str
    managed_by: str | None


@dataclass(frozen=True, slots=True)
class TerminalInfo:
    id: str
    site_id: str
    min_level: int | None = None  # the stricter of the post's and the terminal's requirement


@dataclass(frozen=True, slots=True)
class GuardInfo:
    id: str
    name_zh: str
    employer_id: str | None
    cert_status: CertStatus  # on the snapshot's day
    level: int
    barred: bool  # on the snapshot's day


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    id: str
    kind: CompanyKind
    licensed: bool  # security company: 保安服务许可证 in force that day; self-recruiting: 备案 in force
    region: str
    filed_regions: frozenset[str] = field(default_factory=frozenset)  # cross-region filings in force that day


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """What the rules need to know, as of the event's local date at the site."""

    on: date
    terminal: TerminalInfo | None
    site: SiteInfo | None
    guard: GuardInfo | None
    employer: CompanyInfo | None
    contract_company_ids: frozenset[str]  # companies with a service contract for the site that day


def local_date(at: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The calendar date of ``at`` in ``zone`` (contracts and attendance count local days)."""
    return at.astimezone(ZoneInfo(zone)).date()


def _in_force(valid_from: date, valid_to: date | None, on: date) -> bool:
    return valid_from <= on and (valid_to is None or on <= valid_to)


def cert_status_on(certificates: Iterable[Certificate], on: date) -> CertStatus:
    """VALID if a certificate issued by ``on`` was not revoked by then; REVOKED if all were; else NONE."""
    issued = [c for c in certificates if c.issued_on <= on]
    if any(c.revoked_on is None or on < c.revoked_on for c in issued):
        return CertStatus.VALID
    return CertStatus.REVOKED if issued else CertStatus.NONE


def barred_on(bars: Iterable[GuardBar], on: date) -> bool:
    """True when a failed background check or a blacklisting was in force on ``on``."""
    return any(_in_force(b.valid_from, b.valid_to, on) for b in bars)


def credential_valid_on(credentials: Iterable[CompanyCredential], kind: CredentialKind, on: date) -> bool:
    """True when a credential of ``kind`` was in force and not revoked on ``on``."""
    return any(
        c.kind == kind and _in_force(c.valid_from, c.valid_to, on) and (c.revoked_on is None or on < c.revoked_on)
        for c in credentials
    )


def company_licensed(company: Company, credentials: Iterable[CompanyCredential], on: date) -> bool:
    """Security company: 保安服务许可证 in force on ``on``; self-recruiting unit: 备案 in force."""
    kind = CredentialKind.FILING if company.kind == CompanyKind.SELF_RECRUITING else CredentialKind.LICENCE
    return credential_valid_on(credentials, kind, on)


def filed_regions_on(filings: Iterable[CrossRegionFiling], on: date) -> frozenset[str]:
    """The region prefixes a company had filed to serve on ``on``."""
    return frozenset(f.region for f in filings if _in_force(f.valid_from, f.valid_to, on))


def find_guard(session: Session, card_kind: CardKind, uid: str) -> Guard | None:
    """The guard a card belongs to; a resident ID card is matched by its ID number."""
    if card_kind == CardKind.RESIDENT_ID:  # the number is sealed at rest: found by its keyed hash
        return session.exec(select(Guard).where(Guard.id_number_hash == lookup_hash(session.get_bind(), uid))).first()
    keys = tap_keys(card_kind, uid)
    found = session.exec(select(CardKey).where(col(CardKey.key).in_(keys))).first() if keys else None
    card = session.get(Card, found.card_uid) if found is not None else None
    return session.get(Guard, card.guard_id) if card is not None and card.guard_id else None


def _site_info(site: Site) -> SiteInfo:
    return SiteInfo(
        id=site.id,
        name_zh=site.name_zh,
        kind=SiteKind(site.kind),
        region=site.region,
        jurisdiction=site.jurisdiction,
        managed_by=site.managed_by,
    )


def required_level(terminal: Terminal, post: Post | None) -> int | None:
    """The stricter (numerically lower) of the post's and the terminal's required level."""
    levels = [lv for lv in (terminal.min_level, post.min_level if post else None) if lv is not None]
    return min(levels) if levels else None


def _window(at: datetime) -> tuple[date, date]:
    """Days that may be ``at``'s local day in some zone: read before the site's zone is known, decided after."""
    utc_day = at.astimezone(UTC).date()
    return utc_day - timedelta(days=1), utc_day + timedelta(days=1)


def _unique(rows: Iterable[_Row | None]) -> list[_Row]:
    """The distinct rows of one joined column (outer joins repeat them, or give None)."""
    return list({id(row): row for row in rows if row is not None}.values())  # the identity map: one object per row


def _holder_on(rows: list[Any], on: date) -> list[Any]:
    """The rows of the guard who held the tapped card on ``on`` (all rows for an ID-card tap)."""
    issues = _unique(row[8] for row in rows)
    if not issues:
        return rows
    holder = holder_on(issues, on)
    return [row for row in rows if row[0].id == holder]


def _guard_info(guard: Guard, rows: list[Any], on: date) -> GuardInfo:
    """The guard's employer, level, certificate and bar status as of ``on``."""
    return GuardInfo(
        id=guard.id,
        name_zh=guard.name_zh,
        employer_id=employer_on(_unique(row[6] for row in rows), on, guard.employer_id),
        cert_status=cert_status_on(_unique(row[2] for row in rows), on),
        level=level_on(_unique(row[7] for row in rows), on, guard.level),
        barred=barred_on(_unique(row[3] for row in rows), on),
    )


def _company_info(company: Company, rows: list[Any], on: date) -> CompanyInfo:
    """The company's licence or filing, and its cross-region filings, as of ``on``."""
    credentials = [c for c in _unique(row[4] for row in rows) if c.company_id == company.id]
    filings = [f for f in _unique(row[5] for row in rows) if f.company_id == company.id]
    return CompanyInfo(
        id=company.id,
        kind=CompanyKind(company.kind),
        licensed=company_licensed(company, credentials, on),
        region=company.region,
        filed_regions=filed_regions_on(filings, on),
    )


def build_snapshot(session: Session, event: CheckinEvent) -> RegistrySnapshot:
    """What the rules need about ``event``'s terminal, site, card holder and employer on its local day."""
    return build_snapshots(session, [event])[0]


def build_snapshots(session: Session, events: Sequence[CheckinEvent]) -> list[RegistrySnapshot]:
    """What the rules need about each event, in order, with both sides read for many events at once.

    The site's side and the card holder's side each read the days around the
    taps; the ``*_on`` functions then decide for each tap's exact day.

    A query or two per side for all the events that share the days around
    their tap (a batch of live taps: one such window, sometimes two), instead
    of two per event: a batch of 500 taps of 500 cards reads the registry
    with three queries, not a thousand.
    """
    windows: dict[tuple[date, date], list[int]] = {}
    for index, event in enumerate(events):
        windows.setdefault(_window(event.occurred_at), []).append(index)
    snapshots: dict[int, RegistrySnapshot] = {}
    for (lo, hi), indexes in windows.items():
        taps = [events[i] for i in indexes]
        by_terminal = sites_side(session, sorted({e.terminal_id for e in taps}), lo, hi)
        by_card = holders_side(session, [(e.card.kind, e.card.uid) for e in taps], lo, hi)
        for index, event in zip(indexes, taps, strict=True):
            site_rows = by_terminal.get(event.terminal_id, [])
            snapshots[index] = _snapshot(event, site_rows, by_card.get((event.card.kind, event.card.uid), []))
    return [snapshots[index] for index in range(len(events))]


def _snapshot(event: CheckinEvent, site_rows: list[Any], holder_rows: list[Any]) -> RegistrySnapshot:
    """The snapshot of ``event`` from its site-side and holder-side rows (``central.registry.snapshot_queries``)."""
    terminal, site, post = site_rows[0][:3] if site_rows else (None, None, None)
    on = local_date(event.occurred_at, site.timezone if site else DEFAULT_ZONE)
    holder_rows = _holder_on(holder_rows, on)
    contracts = _unique(row[3] for row in site_rows)
    guard = holder_rows[0][0] if holder_rows else None
    guard_info = _guard_info(guard, holder_rows, on) if guard else None
    companies = {c.id: c for c in _unique(row[1] for row in holder_rows)}
    employer = companies.get(guard_info.employer_id) if guard_info and guard_info.employer_id else None
    return RegistrySnapshot(
        on=on,
        terminal=TerminalInfo(terminal.id, terminal.site_id, required_level(terminal, post)) if terminal else None,
        site=_site_info(site) if site else None,
        guard=guard_info,
        employer=_company_info(employer, holder_rows, on) if employer else None,
        contract_company_ids=frozenset(c.company_id for c in contracts if c.valid_from <= on <= c.valid_to),
    )


def standing_snapshots(
    session: Session, terminal_id: str, guard_ids: list[str], on: date
) -> dict[str, RegistrySnapshot]:
    """Each guard's snapshot at ``terminal_id`` on the local day ``on``, as if the guard tapped there.

    Three queries whatever the number of guards: the terminal's side once, the guards' side at once.
    """
    site_rows = site_side(session, terminal_id, on, on)
    return _at_terminal(site_rows, guard_ids, on, _guard_rows(session, guard_ids, on))


def terminals_snapshots(
    session: Session, wanted: dict[str, list[str]], on: date
) -> dict[str, dict[str, RegistrySnapshot]]:
    """``standing_snapshots`` of many terminals (terminal id -> its guards): both sides read once for all."""
    by_guard = _guard_rows(session, sorted({g for guards in wanted.values() for g in guards}), on)
    by_terminal = sites_side(session, list(wanted), on, on)
    return {
        terminal_id: _at_terminal(by_terminal.get(terminal_id, []), guards, on, by_guard)
        for terminal_id, guards in wanted.items()
    }


def _at_terminal(
    site_rows: list[Any], guard_ids: list[str], on: date, by_guard: dict[str, list[Any]]
) -> dict[str, RegistrySnapshot]:
    terminal, site, post = site_rows[0][:3] if site_rows else (None, None, None)
    contracts = frozenset(c.company_id for c in _unique(row[3] for row in site_rows))
    terminal_info = TerminalInfo(terminal.id, terminal.site_id, required_level(terminal, post)) if terminal else None
    return _snapshots(by_guard, guard_ids, on, terminal_info, _site_info(site) if site else None, contracts)


def site_snapshots(session: Session, site: Site, guard_ids: list[str], on: date) -> dict[str, RegistrySnapshot]:
    """Each guard's snapshot at ``site`` on ``on`` with no terminal (no post level): the registry's view
    of a rostered day, for the checks that run without a tap."""
    return _guard_snapshots(session, guard_ids, on, None, _site_info(site), contracted_companies(session, site.id, on))


def sites_snapshots(
    session: Session, rostered: dict[str, list[str]], sites: dict[str, Site], on: date
) -> dict[str, dict[str, RegistrySnapshot]]:
    """``site_snapshots`` of many sites (site id -> its guards) at once: a query per few thousand guards and
    one for the contracts, however many sites."""
    by_guard = _guard_rows(session, sorted({g for guards in rostered.values() for g in guards}), on)
    contracts = _contracts_by_site(session, list(rostered), on)
    return {
        site_id: _snapshots(by_guard, guards, on, None, _site_info(sites[site_id]), contracts.get(site_id, frozenset()))
        for site_id, guards in rostered.items()
        if site_id in sites
    }


def contracted_companies(session: Session, site_id: str, on: date) -> frozenset[str]:
    """The companies with a service contract for ``site_id`` in force on ``on``."""
    return _contracts_by_site(session, [site_id], on).get(site_id, frozenset())


def _contracts_by_site(session: Session, site_ids: list[str], on: date) -> dict[str, frozenset[str]]:
    query = select(ServiceContract.site_id, ServiceContract.company_id).where(
        col(ServiceContract.site_id).in_(site_ids),
        col(ServiceContract.valid_from) <= on,
        col(ServiceContract.valid_to) >= on,
    )
    found: dict[str, set[str]] = {}
    for site_id, company_id in session.exec(query).all():
        found.setdefault(site_id, set()).add(company_id)
    return {site_id: frozenset(companies) for site_id, companies in found.items()}


def _guard_rows(session: Session, guard_ids: list[str], on: date) -> dict[str, list[Any]]:
    by_guard: dict[str, list[Any]] = {}
    for row in guards_side(session, guard_ids, on, on):  # a query per few thousand guards
        by_guard.setdefault(row[0].id, []).append(row)
    return by_guard


def _guard_snapshots(
    session: Session,
    guard_ids: list[str],
    on: date,
    terminal: TerminalInfo | None,
    site: SiteInfo | None,
    contracts: frozenset[str],
) -> dict[str, RegistrySnapshot]:
    return _snapshots(_guard_rows(session, guard_ids, on), guard_ids, on, terminal, site, contracts)


def _snapshots(
    by_guard: dict[str, list[Any]],
    guard_ids: list[str],
    on: date,
    terminal: TerminalInfo | None,
    site: SiteInfo | None,
    contracts: frozenset[str],
) -> dict[str, RegistrySnapshot]:
    """The snapshots of those of ``guard_ids`` the registry holds (their rows in ``by_guard``)."""
    snapshots = {}
    wanted = set(guard_ids)
    for guard_id, rows in by_guard.items():
        if guard_id not in wanted:
            continue
        guard_info = _guard_info(rows[0][0], rows, on)
        companies = {c.id: c for c in _unique(row[1] for row in rows)}
        employer = companies.get(guard_info.employer_id) if guard_info.employer_id else None
        snapshots[guard_id] = RegistrySnapshot(
            on=on,
            terminal=terminal,
            site=site,
            guard=guard_info,
            employer=_company_info(employer, rows, on) if employer else None,
            contract_company_ids=contracts,
        )
    return snapshots
