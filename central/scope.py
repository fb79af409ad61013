"""Tenant scoping: what each account may read, as SQL conditions every read query applies.

Isolation lives in the queries, not in the pages: a list filters by these
conditions and a detail look-up of a row outside them finds nothing (404,
never 403, so that a foreign id does not even confirm that it exists).

- admin: everything.
- police: the sites, check-ins and alerts of one jurisdiction (派出所); any
  guard, each look-up written to the audit log.
- company (保安服务公司) and firm (物业 / 自行招用单位): check-ins at the sites
  they manage and check-ins of the guards they employ; no alerts, no watchlist.

ID numbers are shown in clear to the police and the administrator only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col, select

from central.auth_models import Role
from central.models import Alert, Checkin, Guard, ServiceContract, Site, WatchlistEntry


@dataclass(frozen=True, slots=True)
class Scope:
    """Who is asking: the account's name, role and the tenant it is confined to."""

    actor: str
    role: Role
    company_id: str | None = None
    jurisdiction: str | None = None

    def __post_init__(self) -> None:
        if self.role in (Role.COMPANY, Role.FIRM) and not self.company_id:
            raise ValueError(f"role {self.role} needs a company")
        if self.role is Role.POLICE and not self.jurisdiction:
            raise ValueError("role police needs a jurisdiction")

    @property
    def sees_id_numbers(self) -> bool:
        return self.role in (Role.ADMIN, Role.POLICE)

    @property
    def sees_alerts(self) -> bool:
        return self.role in (Role.ADMIN, Role.POLICE)

    @property
    def is_police(self) -> bool:
        return self.role is Role.POLICE

    def may_see_alert(self, jurisdiction: str) -> bool:
        """The in-memory form of ``alerts(scope)``, for alerts pushed to live pages."""
        return self.role is Role.ADMIN or (self.role is Role.POLICE and jurisdiction == self.jurisdiction)

    def id_number(self, value: str | None) -> str | None:
        """``value`` in clear for the police and the administrator, masked for everyone else."""
        if value is None or self.sees_id_numbers:
            return value
        return mask_id_number(value)


def mask_id_number(value: str) -> str:
    """``110105198503120012`` -> ``1101**********0012``: region prefix and check digits only."""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def _company_sites(company_id: str) -> ColumnElement[bool]:
    """Sites a company manages (its own premises) or serves under a service contract."""
    contracted = select(ServiceContract.site_id).where(ServiceContract.company_id == company_id)
    return or_(col(Site.managed_by) == company_id, col(Site.id).in_(contracted))


def sites(scope: Scope) -> ColumnElement[bool]:
    """The sites ``scope`` may list (boards, calendars, exports)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(Site.jurisdiction) == scope.jurisdiction
    assert scope.company_id is not None
    return _company_sites(scope.company_id)


def checkins(scope: Scope) -> ColumnElement[bool]:
    """The check-ins ``scope`` may read (and so their violations and photos)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        in_area = select(Site.id).where(Site.jurisdiction == scope.jurisdiction)
        return col(Checkin.site_id).in_(in_area)
    managed = select(Site.id).where(Site.managed_by == scope.company_id)
    employed = select(Guard.id).where(Guard.employer_id == scope.company_id)
    return or_(col(Checkin.site_id).in_(managed), col(Checkin.guard_id).in_(employed))


def guards(scope: Scope) -> ColumnElement[bool]:
    """The guards ``scope`` may look up."""
    if scope.role in (Role.ADMIN, Role.POLICE):
        return true()
    return col(Guard.employer_id) == scope.company_id


def alerts(scope: Scope) -> ColumnElement[bool]:
    """Wanted-person alerts: the police of the jurisdiction and the administrator only."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(Alert.jurisdiction) == scope.jurisdiction
    return false()


def watchlist(scope: Scope) -> ColumnElement[bool]:
    """Wanted-persons entries, like alerts: never shown to employers (it would tip a suspect off)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(WatchlistEntry.jurisdiction) == scope.jurisdiction
    return false()
