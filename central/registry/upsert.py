"""Writing the registry by natural key, so that loading the same list twice changes nothing.

Firms and police stations hold their lists by business keys (a licence number,
an ID number, a contract's company, site and start), not by our row ids. Each
registry table has its ``NATURAL_KEYS``; ``upsert`` finds the row by them,
creates it, updates the fields that differ, or leaves it alone, and says which.
The bulk importer, the registry API and the demo seed all write through here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlmodel import Session, SQLModel, select

from central.registry.credentials import Certificate, CompanyCredential, CrossRegionFiling, GuardBar
from central.registry.employment import SINCE_ALWAYS, record_employment, record_level, today
from central.registry.models import Company, Guard, ServiceContract, Site, Terminal
from central.registry.roster import Post, Shift, ShiftAssignment

# A list column / body key naming the day a guard's new employer or level applies from.
SINCE = "since"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


NATURAL_KEYS: dict[type[SQLModel], tuple[str, ...]] = {
    Company: ("id",),
    CompanyCredential: ("company_id", "kind", "number"),
    CrossRegionFiling: ("company_id", "region", "valid_from"),
    Site: ("id",),
    Post: ("id",),
    Guard: ("id",),
    Certificate: ("number",),
    GuardBar: ("guard_id", "kind", "valid_from"),
    ServiceContract: ("company_id", "site_id", "valid_from"),
    Terminal: ("id",),
    Shift: ("site_id", "name_zh"),
    ShiftAssignment: ("shift_id", "guard_id", "valid_from"),
}

# Never written from a list: the terminal reports these itself, or the database assigns them.
_NOT_FROM_LISTS = frozenset({"online", "last_seen_at", "outbox_depth", "software_version", "oldest_pending_s"})


def find(session: Session, model: type[SQLModel], values: dict[str, Any], key: tuple[str, ...] | None = None) -> Any:
    """The row of ``model`` whose natural key (``key``, else ``NATURAL_KEYS``) equals ``values``'s, or None."""
    query = select(model)
    for name in key or NATURAL_KEYS[model]:
        query = query.where(getattr(model, name) == values[name])
    return session.exec(query).first()


def upsert(
    session: Session, model: type[SQLModel], values: dict[str, Any], key: tuple[str, ...] | None = None
) -> tuple[Any, Outcome]:
    """Create or update the row with ``values``'s natural key; flushes, does not commit.

    ``key`` names the natural key of a table outside the registry (default ``NATURAL_KEYS[model]``).

    ``values`` is validated by the model first (raises pydantic.ValidationError).
    Fields absent from ``values`` are left as they are on an existing row. A
    guard's employer and level are dated history (``central.registry.employment``):
    a change applies from ``values["since"]`` (a date; default today) and what
    was before stays, so past check-ins keep their employer.
    """
    values = dict(values)
    since = _since(values.pop(SINCE, None))
    checked = model.model_validate(values)
    given = {k: getattr(checked, k) for k in values if k in type(checked).model_fields}
    row = find(session, model, given, key)
    if row is None:
        session.add(checked)
        session.flush()
        if isinstance(checked, Guard):
            _start_history(session, checked, since or SINCE_ALWAYS)
        return checked, Outcome.CREATED
    changed = {k: v for k, v in given.items() if k not in _NOT_FROM_LISTS and k != "id" and getattr(row, k) != v}
    if not changed:
        return row, Outcome.UNCHANGED
    if isinstance(row, Guard):
        _dated_changes(session, row, changed, since or today())
    for name, value in changed.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row, Outcome.UPDATED


def _since(value: object) -> date | None:
    """The day a change applies from, as given in a list or a request body (a date or YYYY-MM-DD)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"生效日期无效 / {SINCE} must be a date (YYYY-MM-DD)") from exc


def _start_history(session: Session, guard: Guard, since: date) -> None:
    record_employment(session, guard, guard.employer_id, since)
    record_level(session, guard, guard.level, since)


def _dated_changes(session: Session, guard: Guard, changed: dict[str, Any], since: date) -> None:
    """Employer and level changes become dated history; they leave ``changed`` (applied here)."""
    if "employer_id" in changed:
        record_employment(session, guard, changed.pop("employer_id"), since)
    if "level" in changed:
        record_level(session, guard, changed.pop("level"), since)
