"""The registry as it was on a given day: what the rules read about a tap.

``build_snapshot`` turns database rows into the frozen ``RegistrySnapshot`` that
``central.rules`` evaluates, as of the event's local date at the site: the
certificate, bars, employer licence or filing, cross-region filings and
service contracts in force that day (``central.registry_models`` keeps their
dates). A certificate revoked tomorrow leaves today's tap in order. The
``*_on`` helpers are pure, so that their interval logic is tested without a
database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from central.id_protect import lookup_hash
from central.models import Card, CertStatus, Company, CompanyKind, Guard, ServiceContract, Site, SiteKind, Terminal
from central.registry_models import (
    Certificate,
    CompanyCredential,
    CredentialKind,
    CrossRegionFiling,
    GuardBar,
    Post,
)
from central.rules import CompanyInfo, GuardInfo, RegistrySnapshot, SiteInfo, TerminalInfo
from protocol.checkin import CardKind, CheckinEvent

DEFAULT_ZONE = "Asia/Shanghai"


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
    card = session.get(Card, uid)
    return session.get(Guard, card.guard_id) if card is not None else None


def contract_company_ids(session: Session, site_id: str, on: date) -> frozenset[str]:
    """Companies with a service contract for ``site_id`` in force on ``on``."""
    query = select(ServiceContract.company_id).where(
        ServiceContract.site_id == site_id,
        col(ServiceContract.valid_from) <= on,
        col(ServiceContract.valid_to) >= on,
    )
    return frozenset(session.exec(query).all())


def required_level(terminal: Terminal, post: Post | None) -> int | None:
    """The stricter (numerically lower) of the post's and the terminal's required level."""
    levels = [lv for lv in (terminal.min_level, post.min_level if post else None) if lv is not None]
    return min(levels) if levels else None


def guard_info(session: Session, guard: Guard, on: date) -> GuardInfo:
    """The guard's certificate and bar status as of ``on``."""
    certificates = session.exec(select(Certificate).where(Certificate.guard_id == guard.id)).all()
    bars = session.exec(select(GuardBar).where(GuardBar.guard_id == guard.id)).all()
    return GuardInfo(
        id=guard.id,
        name_zh=guard.name_zh,
        employer_id=guard.employer_id,
        cert_status=cert_status_on(certificates, on),
        level=guard.level,
        barred=barred_on(bars, on),
    )


def company_info(session: Session, company: Company, on: date) -> CompanyInfo:
    """The company's licence or filing, and its cross-region filings, as of ``on``."""
    credentials = session.exec(select(CompanyCredential).where(CompanyCredential.company_id == company.id)).all()
    filings = session.exec(select(CrossRegionFiling).where(CrossRegionFiling.company_id == company.id)).all()
    return CompanyInfo(
        id=company.id,
        kind=CompanyKind(company.kind),
        licensed=company_licensed(company, credentials, on),
        region=company.region,
        filed_regions=filed_regions_on(filings, on),
    )


def _site_info(site: Site) -> SiteInfo:
    return SiteInfo(
        id=site.id,
        name_zh=site.name_zh,
        kind=SiteKind(site.kind),
        region=site.region,
        jurisdiction=site.jurisdiction,
        managed_by=site.managed_by,
    )


def _terminal_info(session: Session, terminal: Terminal) -> TerminalInfo:
    post = session.get(Post, terminal.post_id) if terminal.post_id else None
    return TerminalInfo(terminal.id, terminal.site_id, required_level(terminal, post))


def build_snapshot(session: Session, event: CheckinEvent) -> RegistrySnapshot:
    """What the rules need about ``event``'s terminal, site, card holder and employer on its local day."""
    terminal = session.get(Terminal, event.terminal_id)
    site = session.get(Site, terminal.site_id) if terminal is not None else None
    on = local_date(event.occurred_at, site.timezone if site else DEFAULT_ZONE)
    guard = find_guard(session, event.card.kind, event.card.uid)
    employer = session.get(Company, guard.employer_id) if guard and guard.employer_id else None
    return RegistrySnapshot(
        on=on,
        terminal=_terminal_info(session, terminal) if terminal else None,
        site=_site_info(site) if site else None,
        guard=guard_info(session, guard, on) if guard else None,
        employer=company_info(session, employer, on) if employer else None,
        contract_company_ids=contract_company_ids(session, site.id, on) if site else frozenset(),
    )
