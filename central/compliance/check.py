"""Rules that run without a tap: the registry checked as a whole, daily and on command.

A tap is judged when it happens (``central.checkins.rules``); a venue nobody
taps at, a licence that lapses next week, a guard rostered without a
certificate would never be. This check finds them on a given day:

- every rule a rostered guard breaks by going on duty that day (the tap-time
  standing rules: no or revoked certificate, barred, unlicensed employer,
  self-recruited outside its premises, no service contract, …);
- entertainment venues (娱乐场所) with no contract in force with a licensed
  security company (条例 13; 娱乐场所管理条例 26);
- licences, filings and service contracts ending within ``within_days``.

The 保安员证 itself has no validity period (公安部令第112号: valid nationwide
until revoked), so certificates are found missing or revoked, never expiring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from central.checkins.rules import evaluate_standing
from central.registry.credentials import CompanyCredential, CredentialKind, CrossRegionFiling
from central.registry.models import Company, CompanyKind, ServiceContract, Site, SiteKind
from central.registry.queries import display_names
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import company_licensed, sites_snapshots

DEFAULT_WITHIN_DAYS = 30

# Finding kinds that are not tap-time rules: code -> (zh, en, article). {due} is the end date.
KINDS: dict[str, tuple[str, str, str]] = {
    "VENUE_WITHOUT_LICENSED_CONTRACT": (
        "娱乐场所无持证保安服务公司的有效服务合同",
        "Entertainment venue has no contract in force with a licensed security company",
        "保安服务管理条例 第13条；娱乐场所管理条例 第26条",
    ),
    "LICENCE_EXPIRING": (
        "保安服务许可证将于 {due} 到期",
        "Security service licence ends on {due}",
        "保安服务管理条例 第9条",
    ),
    "FILING_EXPIRING": (
        "自行招用保安员单位备案将于 {due} 到期",
        "Self-recruiting unit's filing ends on {due}",
        "保安服务管理条例 第14条",
    ),
    "CROSS_REGION_FILING_EXPIRING": (
        "跨区域提供保安服务备案将于 {due} 到期",
        "Cross-region service filing ends on {due}",
        "保安服务管理条例 第23条",
    ),
    "CONTRACT_EXPIRING": (
        "保安服务合同将于 {due} 到期",
        "Security service contract ends on {due}",
        "保安服务管理条例 第21条",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # a KINDS key, or the tap-time rule a rostered guard breaks (e.g. CERT_REVOKED)
    reason_zh: str
    reason_en: str
    article: str
    company_id: str | None = None  # whose to answer: the guard's employer, the credential's or contract's holder
    site_id: str | None = None
    guard_id: str | None = None
    due: date | None = None  # the end date, for what is expiring

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kind(code: str, due: date | None = None, **where: str | None) -> Finding:
    zh, en, article = KINDS[code]
    shown = due.isoformat() if due else ""
    return Finding(code, zh.format(due=shown), en.format(due=shown), article, due=due, **where)


def _rostered(session: Session, on: date, sites: Collection[str] | None) -> dict[str, list[str]]:
    """Site id -> the guards rostered there on ``on`` (an assignment in force on that weekday)."""
    query = (
        select(Shift.site_id, ShiftAssignment.guard_id, ShiftAssignment.weekdays)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .where(
            col(ShiftAssignment.valid_from) <= on,
            or_(col(ShiftAssignment.valid_to).is_(None), col(ShiftAssignment.valid_to) >= on),
        )
    )
    if sites is not None:
        query = query.where(col(Shift.site_id).in_(sites))
    by_site: dict[str, set[str]] = defaultdict(set)
    for site_id, guard_id, weekdays in session.exec(query).all():
        if str(on.isoweekday()) in weekdays:
            by_site[site_id].add(guard_id)
    return {site_id: sorted(guards) for site_id, guards in by_site.items()}


def _rostered_guards(session: Session, on: date, sites: Collection[str] | None) -> list[Finding]:
    rostered = _rostered(session, on, sites)
    found = {site.id: site for site in session.exec(select(Site).where(col(Site.id).in_(list(rostered)))).all()}
    snapshots = sites_snapshots(session, rostered, found, on)  # every site's at once, not a site at a time
    findings = []
    for site_id in sorted(snapshots):
        for guard_id, snapshot in sorted(snapshots[site_id].items()):
            employer = snapshot.guard.employer_id if snapshot.guard else None
            findings += [
                Finding(
                    v.code, v.reason_zh, v.reason_en, v.article, company_id=employer, site_id=site_id, guard_id=guard_id
                )  # fmt: skip
                for v in evaluate_standing(snapshot)
            ]
    return findings


def _venues(session: Session, on: date, sites: Collection[str] | None) -> list[Finding]:
    credentials: dict[str, list[CompanyCredential]] = defaultdict(list)
    for credential in session.exec(select(CompanyCredential)).all():
        credentials[credential.company_id].append(credential)
    findings = []
    venues = select(Site).where(Site.kind == SiteKind.ENTERTAINMENT)
    if sites is not None:
        venues = venues.where(col(Site.id).in_(sites))
    for site in session.exec(venues.order_by(col(Site.id))).all():
        contracted = session.exec(
            select(Company)
            .join(ServiceContract, col(ServiceContract.company_id) == col(Company.id))
            .where(
                ServiceContract.site_id == site.id,
                col(ServiceContract.valid_from) <= on,
                col(ServiceContract.valid_to) >= on,
            )  # fmt: skip
        ).all()
        licensed = [
            c
            for c in contracted
            if c.kind == CompanyKind.SECURITY_COMPANY and company_licensed(c, credentials[c.id], on)
        ]
        if not licensed:
            findings.append(_kind("VENUE_WITHOUT_LICENSED_CONTRACT", site_id=site.id))
    return findings


def _ending(session: Session, on: date, until: date, sites: Collection[str] | None) -> list[Finding]:
    """Licences, filings and contracts in force on ``on`` that end by ``until`` (and are not renewed); with
    ``sites``, only the contracts of those sites."""
    findings: list[Finding] = []
    if sites is not None:
        return _contracts_ending(session, on, until, sites)
    credentials = session.exec(
        select(CompanyCredential).where(
            col(CompanyCredential.valid_to).is_not(None),
            col(CompanyCredential.valid_to) >= on,
            col(CompanyCredential.valid_to) <= until,
            col(CompanyCredential.revoked_on).is_(None),
        )
    ).all()
    for credential in credentials:
        assert credential.valid_to is not None
        if _renewed(session, CompanyCredential, credential.company_id, credential.valid_to, kind=credential.kind):
            continue
        code = "LICENCE_EXPIRING" if credential.kind == CredentialKind.LICENCE else "FILING_EXPIRING"
        findings.append(_kind(code, credential.valid_to, company_id=credential.company_id))
    filings = session.exec(
        select(CrossRegionFiling).where(
            col(CrossRegionFiling.valid_to).is_not(None),
            col(CrossRegionFiling.valid_to) >= on,
            col(CrossRegionFiling.valid_to) <= until,
        )
    ).all()
    for filing in filings:
        assert filing.valid_to is not None
        findings.append(_kind("CROSS_REGION_FILING_EXPIRING", filing.valid_to, company_id=filing.company_id))
    return findings + _contracts_ending(session, on, until, None)


def _contracts_ending(session: Session, on: date, until: date, sites: Collection[str] | None) -> list[Finding]:
    query = select(ServiceContract).where(col(ServiceContract.valid_to) >= on, col(ServiceContract.valid_to) <= until)
    if sites is not None:
        query = query.where(col(ServiceContract.site_id).in_(sites))
    findings = []
    for contract in session.exec(query).all():
        if _renewed(session, ServiceContract, contract.company_id, contract.valid_to, site_id=contract.site_id):
            continue
        findings.append(_kind("CONTRACT_EXPIRING", contract.valid_to, company_id=contract.company_id,
                              site_id=contract.site_id))  # fmt: skip
    return findings


def _renewed(session: Session, model: Any, company_id: str, ends: date, **same: Any) -> bool:
    """A successor already registered: in force the day after ``ends``."""
    after = ends + timedelta(days=1)
    query = select(model).where(model.company_id == company_id, col(model.valid_from) <= after)
    query = query.where(or_(col(model.valid_to).is_(None), col(model.valid_to) >= after))
    for name, value in same.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).first() is not None


def check_registry(
    session: Session, on: date, within_days: int = DEFAULT_WITHIN_DAYS, sites: Collection[str] | None = None
) -> list[Finding]:
    """Every finding on ``on``: rostered guards' standing rules, venues, what ends within ``within_days``.

    ``sites``: only the findings at those sites (not the companies' own licences and filings).
    """
    until = on + timedelta(days=within_days)
    return _rostered_guards(session, on, sites) + _venues(session, on, sites) + _ending(session, on, until, sites)


def names(session: Session, findings: list[Finding]) -> dict[str, str]:
    """Display names (Chinese) of the companies, sites and guards the findings name, by id."""
    return display_names(
        session,
        company_ids=(f.company_id for f in findings),
        site_ids=(f.site_id for f in findings),
        guard_ids=(f.guard_id for f in findings),
    )
