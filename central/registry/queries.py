"""Registry reads of the dashboard API: sites and guards, each scoped to what the asker may see.

A row outside the asker's scope is never returned: lists filter it out and
look-ups answer None, as for an id that does not exist (404, never 403, so that
a foreign id does not even confirm that it exists). Companies and firms see the
sites they manage or serve under a contract, and the guards they employ; the
police see their jurisdiction's sites and any guard; the administrator all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.paging import Paged, Paging, fetch
from central.registry.guard_search import matching
from central.registry.local_time import DEFAULT_ZONE
from central.registry.models import Company, Guard, GuardPublic, ServiceContract, Site, SitePublic


def _company_sites(company_id: str) -> ColumnElement[bool]:
    """Sites a company manages (its own premises) or serves under a service contract."""
    contracted = select(ServiceContract.site_id).where(ServiceContract.company_id == company_id)
    return or_(col(Site.managed_by) == company_id, col(Site.id).in_(contracted))


def site_scope(scope: Scope) -> ColumnElement[bool]:
    """The sites ``scope`` may list (boards, calendars, exports)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(Site.jurisdiction) == scope.jurisdiction
    assert scope.company_id is not None
    return _company_sites(scope.company_id)


def guard_scope(scope: Scope) -> ColumnElement[bool]:
    """The guards ``scope`` may look up."""
    if scope.role in (Role.ADMIN, Role.POLICE):
        return true()
    return col(Guard.employer_id) == scope.company_id


def site_zone(session: Session, site_id: str | None) -> str:
    site = session.get(Site, site_id) if site_id else None
    return site.timezone if site else DEFAULT_ZONE


def visible_sites(session: Session, scope: Scope) -> list[Site]:
    return list(session.exec(select(Site).where(site_scope(scope)).order_by(col(Site.id))).all())


def list_sites(session: Session, scope: Scope, paging: Paging) -> Paged[SitePublic]:
    return fetch(session, select(Site).where(site_scope(scope)).order_by(col(Site.id)), paging).map(site_public)


def get_site(session: Session, scope: Scope, site_id: str) -> Site | None:
    """The site, if ``scope`` may see it."""
    return session.exec(select(Site).where(Site.id == site_id, site_scope(scope))).first()


def site_public(site: Site) -> SitePublic:
    return SitePublic.model_validate(site, update={"kind": str(site.kind)})


def guard_public(scope: Scope, guard: Guard) -> GuardPublic:
    return GuardPublic.model_validate(guard, update={"id_number": scope.id_number(guard.id_number)})


def list_guards(session: Session, scope: Scope, *, q: str | None, paging: Paging) -> Paged[GuardPublic]:
    query = select(Guard).where(guard_scope(scope))
    if q:
        query = query.where(matching(Guard.__table__, q, session.get_bind().dialect))  # type: ignore[attr-defined]
    return fetch(session, query.order_by(col(Guard.id)), paging).map(lambda guard: guard_public(scope, guard))


def get_guard(session: Session, scope: Scope, guard_id: str) -> GuardPublic | None:
    guard = session.exec(select(Guard).where(Guard.id == guard_id, guard_scope(scope))).first()
    return guard_public(scope, guard) if guard else None


def display_names(
    session: Session,
    *,
    company_ids: Iterable[str | None] = (),
    site_ids: Iterable[str | None] = (),
    guard_ids: Iterable[str | None] = (),
) -> dict[str, str]:
    """The Chinese names of just these companies, sites and guards, by id (ids are unique across the three)."""
    shown: dict[str, str] = {}
    for model, ids in ((Company, company_ids), (Site, site_ids), (Guard, guard_ids)):
        wanted = {i for i in ids if i}
        if wanted:
            shown.update(session.exec(select(model.id, model.name_zh).where(col(model.id).in_(wanted))).all())
    return shown
