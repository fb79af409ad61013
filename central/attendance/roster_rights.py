"""Who may read and who may write a site's roster (排班), and with which guards.

- administrator: every site, any guard.
- security company: reads and writes the rosters of the sites it serves or
  manages, rostering only the guards it employs.
- property firm: reads the rosters of its sites; it writes them only at the
  sites it manages itself and only with the guards it employs — a self-recruiting
  unit (自行招用单位) rosters its own guards; a firm that employs none can only read.
- police: no roster pages (they read attendance through the violations views).

A company reading a site it serves but does not manage sees only its own
guards' rows, as with attendance (``attendance_employer``). A site or guard
outside the account's reach answers 404, never 403, so a foreign id confirms
nothing; a site the account may read but not write answers 403 in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from central.access.models import Role
from central.access.scope import Scope
from central.attendance.queries import attendance_employer
from central.errors import Forbidden, NotFound
from central.registry.models import Guard, Site
from central.registry.queries import get_site, visible_sites


@dataclass(frozen=True, slots=True)
class GuardName:
    id: str
    name_zh: str
    name_en: str


def require_roster_role(scope: Scope) -> None:
    if scope.role is Role.POLICE:
        raise Forbidden("排班仅限管理员、保安公司和用人单位 / rosters are for administrators, companies and firms")


def roster_sites(session: Session, scope: Scope) -> list[Site]:
    """The sites whose roster ``scope`` may read."""
    require_roster_role(scope)
    return visible_sites(session, scope)


def readable_site(session: Session, scope: Scope, site_id: str) -> Site:
    """The site, if ``scope`` may read its roster (NotFound otherwise)."""
    require_roster_role(scope)
    site = get_site(session, scope, site_id)
    if site is None:
        raise NotFound("site")
    return site


def may_edit(scope: Scope, site: Site) -> bool:
    """Whether ``scope`` may write ``site``'s shifts and assignments (given that it may read them)."""
    if scope.role is Role.ADMIN or scope.role is Role.COMPANY:
        return True
    return scope.role is Role.FIRM and site.managed_by == scope.company_id


def editable_site(session: Session, scope: Scope, site_id: str) -> Site:
    """The site, if ``scope`` may write its roster: NotFound when unseen, Forbidden when only readable."""
    site = readable_site(session, scope, site_id)
    if not may_edit(scope, site):
        raise Forbidden(
            "只有管理本场所的用人单位可编排排班 / only the unit managing this site may change its roster",
            code="forbidden.roster_read_only",
        )
    return site


def guard_filter(scope: Scope) -> ColumnElement[bool]:
    """The guards ``scope`` may roster: any for the administrator, else those the account's company employs."""
    if scope.role is Role.ADMIN:
        return true()
    return col(Guard.employer_id) == scope.company_id


def row_filter(scope: Scope, site: Site) -> ColumnElement[bool]:
    """The roster rows of ``site`` that ``scope`` reads: all, or only its own guards' at a site it only serves."""
    employer = attendance_employer(scope, site)
    return true() if employer is None else col(Guard.employer_id) == employer


def guards_query(scope: Scope) -> Select[str, str, str]:
    """The guards offered when rostering, by id (names only: the registry's sealed fields stay closed)."""
    return select(Guard.id, Guard.name_zh, Guard.name_en).where(guard_filter(scope)).order_by(col(Guard.id))


def rosterable_guards(session: Session, scope: Scope) -> list[GuardName]:
    return [GuardName(*row) for row in session.exec(guards_query(scope)).all()]


def rosterable_guard(session: Session, scope: Scope, guard_id: str) -> GuardName:
    """The guard, if ``scope`` may roster them (NotFound otherwise: another employer's guard is not confirmed)."""
    query = select(Guard.id, Guard.name_zh, Guard.name_en).where(Guard.id == guard_id, guard_filter(scope))
    row = session.exec(query).first()
    if row is None:
        raise NotFound("guard", guard_id[:32])
    return GuardName(*row)
