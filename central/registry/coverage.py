"""Collection coverage (采集率): which guards have a registered portrait and fingerprints on file.

Tianjin's rules ask for every guard's portrait and fingerprints (影像和指纹采集率
达到100%). A guard counts under their current employer (``Guard.employer_id``)
as having a portrait when central holds their registered portrait
(``central.registry.faces.GuardPortrait``), and fingerprints when at least one
finger is enrolled (``central.registry.fingerprints.GuardFingerprint``); the
rate is the share with both.

Who sees what follows the registry's tenancy (``guard_scope``): the
administrator every guard; a company or firm its own; the police the guards
of the companies whose sites lie in their jurisdiction (the sites a company
manages or serves under a contract, as in ``site_scope``). The administrator
may ask for one jurisdiction the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from central.access.models import Role
from central.access.scope import Scope
from central.paging import Paged, Paging, fetch
from central.registry.faces import GuardPortrait
from central.registry.fingerprints import GuardFingerprint
from central.registry.models import Company, Guard, ServiceContract, Site
from central.registry.queries import guard_scope

Lack = Literal["portrait", "fingerprint"]


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One company's guards (or every guard in view, as the total line); ``company_id`` None: no employer."""

    company_id: str | None
    company_name_zh: str | None
    company_name_en: str | None
    guards: int
    with_portrait: int
    with_fingerprint: int
    with_both: int

    @property
    def rate(self) -> float | None:
        """采集率: the percentage of guards with both, to one decimal; None when there are no guards."""
        return round(100 * self.with_both / self.guards, 1) if self.guards else None


@dataclass(frozen=True, slots=True)
class MissingGuard:
    """A guard who lacks a portrait, fingerprints, or both."""

    guard_id: str
    name_zh: str
    name_en: str
    company_id: str | None
    company_name_zh: str | None
    has_portrait: bool
    fingers: int  # fingers enrolled

    @property
    def lacks(self) -> tuple[Lack, ...]:
        return lacks_of(self.has_portrait, self.fingers)


def lacks_of(has_portrait: bool, fingers: int) -> tuple[Lack, ...]:
    found: list[Lack] = []
    if not has_portrait:
        found.append("portrait")
    if fingers == 0:
        found.append("fingerprint")
    return tuple(found)


def companies_in(jurisdiction: str) -> ColumnElement[bool]:
    """Guards whose employer manages, or serves under a contract, a site of ``jurisdiction``."""
    sites = select(Site.id).where(Site.jurisdiction == jurisdiction)
    managing = select(Site.managed_by).where(Site.jurisdiction == jurisdiction, col(Site.managed_by).is_not(None))
    serving = select(ServiceContract.company_id).where(col(ServiceContract.site_id).in_(sites))
    return or_(col(Guard.employer_id).in_(managing), col(Guard.employer_id).in_(serving))


def coverage_scope(scope: Scope) -> ColumnElement[bool]:
    """The guards whose collection ``scope`` may count (the police: their jurisdiction's companies)."""
    if scope.role is Role.POLICE:
        assert scope.jurisdiction is not None
        return companies_in(scope.jurisdiction)
    return guard_scope(scope)


@dataclass(frozen=True, slots=True)
class CoverageFilter:
    company_id: str | None = None
    jurisdiction: str | None = None
    lacks: Lack | None = None  # the missing list only

    def condition(self, scope: Scope) -> ColumnElement[bool]:
        conditions = [coverage_scope(scope)]
        if self.company_id:
            conditions.append(col(Guard.employer_id) == self.company_id)
        if self.jurisdiction:
            conditions.append(companies_in(self.jurisdiction))
        return and_(true(), *conditions)


_FINGERS = (
    select(GuardFingerprint.guard_id, func.count().label("fingers")).group_by(col(GuardFingerprint.guard_id)).subquery()
)
_HAS_PORTRAIT = col(GuardPortrait.guard_id).is_not(None)
_HAS_FINGERPRINT = _FINGERS.c.guard_id.is_not(None)
_NO_EMPLOYER_LAST = case((col(Guard.employer_id).is_(None), 1), else_=0)


def _joined(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    return (
        query.select_from(Guard)
        .outerjoin(Company, col(Company.id) == col(Guard.employer_id))
        .outerjoin(GuardPortrait, col(GuardPortrait.guard_id) == col(Guard.id))
        .outerjoin(_FINGERS, _FINGERS.c.guard_id == col(Guard.id))
    )


def _counted(flag: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((flag, 1), else_=0)), 0)


def _counts() -> tuple[Any, ...]:
    both = and_(_HAS_PORTRAIT, _HAS_FINGERPRINT)
    return (func.count(col(Guard.id)), _counted(_HAS_PORTRAIT), _counted(_HAS_FINGERPRINT), _counted(both))


def _summary_query(scope: Scope, where: CoverageFilter) -> Select[*tuple[Any, ...]]:
    company: list[Any] = [col(Guard.employer_id), col(Company.name_zh), col(Company.name_en)]
    query = _joined(select(*company, *_counts())).where(where.condition(scope))
    return query.group_by(*company).order_by(_NO_EMPLOYER_LAST, col(Guard.employer_id))


def summary(session: Session, scope: Scope, where: CoverageFilter, paging: Paging) -> Paged[CoverageRow]:
    """One row per company (guards without an employer last), ordered by company id."""
    return fetch(session, _summary_query(scope, where), paging).map(_coverage_row)


def all_summary(session: Session, scope: Scope, where: CoverageFilter) -> list[CoverageRow]:
    """Every company's row, for an export."""
    return [_coverage_row(row) for row in session.exec(_summary_query(scope, where)).all()]


def _coverage_row(row: Any) -> CoverageRow:
    company_id, name_zh, name_en, *counts = row
    return CoverageRow(company_id, name_zh, name_en, *(int(v) for v in counts))


def total(session: Session, scope: Scope, where: CoverageFilter) -> CoverageRow:
    """Every guard in view, as one line."""
    counts = session.exec(_joined(select(*_counts())).where(where.condition(scope))).one()
    return CoverageRow(None, "合计", "total", *(int(v) for v in counts))


def _missing_query(scope: Scope, where: CoverageFilter) -> Select[*tuple[Any, ...]]:
    lacking = {
        "portrait": ~_HAS_PORTRAIT,
        "fingerprint": ~_HAS_FINGERPRINT,
        None: or_(~_HAS_PORTRAIT, ~_HAS_FINGERPRINT),
    }
    fingers = func.coalesce(_FINGERS.c.fingers, 0)
    columns: list[Any] = [
        Guard.id,
        Guard.name_zh,
        Guard.name_en,
        Guard.employer_id,
        Company.name_zh,
        _HAS_PORTRAIT,
        fingers,
    ]
    query = select(*columns)
    query = _joined(query).where(where.condition(scope), lacking[where.lacks])
    return query.order_by(_NO_EMPLOYER_LAST, col(Guard.employer_id), col(Guard.id))


def missing(session: Session, scope: Scope, where: CoverageFilter, paging: Paging) -> Paged[MissingGuard]:
    """The guards in view who lack what ``where.lacks`` names (either, when None), by company and guard."""
    return fetch(session, _missing_query(scope, where), paging).map(_missing_guard)


def all_missing(session: Session, scope: Scope, where: CoverageFilter) -> list[MissingGuard]:
    """The whole missing list, for an export."""
    return [_missing_guard(row) for row in session.exec(_missing_query(scope, where)).all()]


def _missing_guard(row: Any) -> MissingGuard:
    guard_id, name_zh, name_en, company_id, company_name, has_portrait, fingers = row
    return MissingGuard(guard_id, name_zh, name_en, company_id, company_name, bool(has_portrait), int(fingers))


def jurisdictions(session: Session, scope: Scope) -> list[str]:
    """The jurisdictions ``scope`` may ask about (the police: their own)."""
    if scope.role is Role.POLICE:
        return [scope.jurisdiction] if scope.jurisdiction else []
    if scope.role is not Role.ADMIN:
        return []
    return list(session.exec(select(Site.jurisdiction).distinct().order_by(col(Site.jurisdiction))).all())


# Export columns, Chinese first.
SUMMARY_HEADERS = (
    "单位 / company",
    "单位名称 / company name",
    "保安员 / guards",
    "有人像 / with portrait",
    "有指纹 / with fingerprints",
    "两者齐全 / with both",
    "采集率 % / rate %",
    "缺人像 / without portrait",
    "缺指纹 / without fingerprints",
)
MISSING_HEADERS = (
    "保安员 / guard",
    "姓名 / name",
    "Name",
    "单位 / company",
    "单位名称 / company name",
    "人像 / portrait",
    "指纹数 / fingers",
    "缺少 / lacks",
)
LACK_WORDS: dict[Lack, tuple[str, str]] = {"portrait": ("人像", "portrait"), "fingerprint": ("指纹", "fingerprints")}


def summary_table(rows: list[CoverageRow], overall: CoverageRow) -> list[tuple[object, ...]]:
    """Header, one line per company, and the total line."""
    lines = [
        (r.company_id, r.company_name_zh, r.guards, r.with_portrait, r.with_fingerprint, r.with_both, r.rate,
         r.guards - r.with_portrait, r.guards - r.with_fingerprint)
        for r in [*rows, overall]
    ]  # fmt: skip
    return [SUMMARY_HEADERS, *lines]


def lacks_text(lacks: tuple[Lack, ...]) -> str:
    """``("portrait", "fingerprint")`` -> ``人像、指纹 / portrait, fingerprints``."""
    zh, en = "、".join(LACK_WORDS[k][0] for k in lacks), ", ".join(LACK_WORDS[k][1] for k in lacks)
    return f"{zh} / {en}" if lacks else ""


def missing_table(rows: list[MissingGuard]) -> list[tuple[object, ...]]:
    """Header and one line per guard, with what each lacks."""
    lines = [
        (g.guard_id, g.name_zh, g.name_en, g.company_id, g.company_name_zh, "有 / yes" if g.has_portrait else "无 / no",
         g.fingers, lacks_text(g.lacks))
        for g in rows
    ]  # fmt: skip
    return [MISSING_HEADERS, *lines]
