"""The registry (companies, sites, guards, cards, contracts, terminals) read for the rules.

``build_snapshot`` turns database rows into the frozen ``RegistrySnapshot`` that
``central.rules`` evaluates, as of the event's local date at the site. Guard
certificate status and the barred flag are current state (no history is kept).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from central.models import (
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
from central.rules import CompanyInfo, GuardInfo, RegistrySnapshot, SiteInfo, TerminalInfo
from protocol.checkin import CardKind, CheckinEvent

DEFAULT_ZONE = "Asia/Shanghai"


def local_date(at: datetime, zone: str = DEFAULT_ZONE) -> date:
    """The calendar date of ``at`` in ``zone`` (contracts and attendance count local days)."""
    return at.astimezone(ZoneInfo(zone)).date()


def company_licensed(company: Company, on: date) -> bool:
    """Security company: licence valid on ``on``; self-recruiting unit: 备案 on file."""
    if company.kind == CompanyKind.SELF_RECRUITING:
        return bool(company.filing_number)
    if not company.licence_number or company.licence_revoked:
        return False
    if company.licence_valid_from is not None and on < company.licence_valid_from:
        return False
    return company.licence_valid_to is None or on <= company.licence_valid_to


def find_guard(session: Session, card_kind: CardKind, uid: str) -> Guard | None:
    """The guard a card belongs to; a resident ID card is matched by its ID number."""
    if card_kind == CardKind.RESIDENT_ID:
        return session.exec(select(Guard).where(Guard.id_number == uid)).first()
    card = session.get(Card, uid)
    return session.get(Guard, card.guard_id) if card is not None else None


def contract_company_ids(session: Session, site_id: str, on: date) -> frozenset[str]:
    query = select(ServiceContract.company_id).where(
        ServiceContract.site_id == site_id,
        col(ServiceContract.valid_from) <= on,
        col(ServiceContract.valid_to) >= on,
    )
    return frozenset(session.exec(query).all())


def _site_info(site: Site) -> SiteInfo:
    return SiteInfo(
        id=site.id,
        name_zh=site.name_zh,
        kind=SiteKind(site.kind),
        region=site.region,
        jurisdiction=site.jurisdiction,
        managed_by=site.managed_by,
    )


def _guard_info(guard: Guard) -> GuardInfo:
    return GuardInfo(
        id=guard.id,
        name_zh=guard.name_zh,
        employer_id=guard.employer_id,
        cert_status=CertStatus(guard.cert_status),
        level=guard.level,
        barred=guard.barred,
    )


def _company_info(company: Company, on: date) -> CompanyInfo:
    return CompanyInfo(
        id=company.id,
        kind=CompanyKind(company.kind),
        licensed=company_licensed(company, on),
        region=company.region,
    )


def build_snapshot(session: Session, event: CheckinEvent) -> RegistrySnapshot:
    """What the rules need about ``event``'s terminal, site, card holder and employer."""
    terminal = session.get(Terminal, event.terminal_id)
    site = session.get(Site, terminal.site_id) if terminal is not None else None
    on = local_date(event.occurred_at, site.timezone if site else DEFAULT_ZONE)
    guard = find_guard(session, event.card.kind, event.card.uid)
    employer = session.get(Company, guard.employer_id) if guard and guard.employer_id else None
    return RegistrySnapshot(
        on=on,
        terminal=TerminalInfo(terminal.id, terminal.site_id, terminal.min_level) if terminal else None,
        site=_site_info(site) if site else None,
        guard=_guard_info(guard) if guard else None,
        employer=_company_info(employer, on) if employer else None,
        contract_company_ids=contract_company_ids(session, site.id, on) if site else frozenset(),
    )
