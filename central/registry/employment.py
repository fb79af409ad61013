"""A guard's employment and level over time: who employed them, and at what level, on a given day.

A check-in is attributed to the employer and judged at the level of its local
day, and keeps that attribution when the guard moves on: moving a guard closes
the current ``Employment`` the day before the move and opens the next one
(``record_employment``), so past check-ins, exports and timesheets stay the old
employer's. Levels (职业等级) are kept the same way (``GuardLevel``).
``Guard.employer_id`` and ``Guard.level`` are the current values, kept in step
here, for the look-ups that are about now (a company's guards, the roster).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from central.registry.local_time import DEFAULT_ZONE
from central.registry.models import Guard

# History recorded with the first version of a guard starts here: "as far back as the registry knows".
SINCE_ALWAYS = date(1970, 1, 1)


class Employment(SQLModel, table=True):
    """A guard employed by a company from ``valid_from`` to ``valid_to`` (inclusive; None: still)."""

    __table_args__ = (UniqueConstraint("guard_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    company_id: str | None = Field(default=None, foreign_key="company.id", index=True)  # None: employed by nobody
    valid_from: date
    valid_to: date | None = None


class GuardLevel(SQLModel, table=True):
    """A guard's level (职业等级, 1 highest .. 5 lowest) from ``valid_from`` to ``valid_to``."""

    __table_args__ = (UniqueConstraint("guard_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    level: int = Field(ge=1, le=5)
    valid_from: date
    valid_to: date | None = None


def today() -> date:
    """The registry's local day, the default start of a change made now."""
    return datetime.now(ZoneInfo(DEFAULT_ZONE)).date()


def _in_force(valid_from: date, valid_to: date | None, on: date) -> bool:
    return valid_from <= on and (valid_to is None or on <= valid_to)


def employer_on(employments: Iterable[Employment], on: date, current: str | None) -> str | None:
    """The employer on ``on``; ``current`` (the guard's) when no history covers that day."""
    found = [e for e in employments if _in_force(e.valid_from, e.valid_to, on)]
    return found[-1].company_id if found else current


def level_on(levels: Iterable[GuardLevel], on: date, current: int) -> int:
    found = [lv for lv in levels if _in_force(lv.valid_from, lv.valid_to, on)]
    return found[-1].level if found else current


def record_employment(session: Session, guard: Guard, company_id: str | None, since: date) -> None:
    """From ``since`` on, ``guard`` is employed by ``company_id``; what was before stays. Flushes."""
    _close_and_open(session, Employment, guard.id, since, company_id=company_id)
    guard.employer_id = company_id
    session.add(guard)
    session.flush()


def record_level(session: Session, guard: Guard, level: int, since: date) -> None:
    """From ``since`` on, ``guard`` holds ``level``. Flushes."""
    _close_and_open(session, GuardLevel, guard.id, since, level=level)
    guard.level = level
    session.add(guard)
    session.flush()


def _close_and_open(
    session: Session, model: type[Employment] | type[GuardLevel], guard_id: str, since: date, **values: object
) -> None:
    query = select(model).where(model.guard_id == guard_id).order_by(col(model.valid_from))
    rows: list[Employment | GuardLevel] = list(session.exec(query).all())  # type: ignore[arg-type]
    for row in rows:
        if row.valid_from >= since:  # a change of the same day or later is replaced by this one
            session.delete(row)
        elif row.valid_to is None or row.valid_to >= since:
            row.valid_to = since - timedelta(days=1)
            session.add(row)
    session.flush()
    session.add(model.model_validate({"guard_id": guard_id, "valid_from": since, **values}))


def employments(session: Session, guard_ids: Iterable[str]) -> dict[str, list[Employment]]:
    """Each guard's employments, oldest first."""
    query = select(Employment).where(col(Employment.guard_id).in_(list(guard_ids)))
    found: dict[str, list[Employment]] = {}
    for row in session.exec(query.order_by(col(Employment.valid_from))).all():
        found.setdefault(row.guard_id, []).append(row)
    return found
