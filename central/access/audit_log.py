"""Reading the audit log: the entries that match a filter, newest first (the log itself is append-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from central.access.models import AuditEntry
from central.db.text_search import contains, same_ignoring_case

EXPORT_MAX_ROWS = 100_000  # an export beyond this is refused: narrow the filter


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """``action`` matches itself and its refinements (``export.timesheet`` finds ``export.timesheet.csv``);
    ``actor`` exactly (case-insensitive); ``target`` as a substring; days are local days, inclusive."""

    action: str | None = None
    actor: str | None = None
    target: str | None = None
    first: date | None = None
    last: date | None = None

    def query(self, zone: str) -> SelectOfScalar[AuditEntry]:
        """The matching entries, newest first; days are local days in ``zone``."""
        query = select(AuditEntry)
        if self.action:
            refined = col(AuditEntry.action).startswith(f"{self.action}.", autoescape=True)
            query = query.where(or_(AuditEntry.action == self.action, refined))
        if self.actor:
            query = query.where(same_ignoring_case(col(AuditEntry.actor), self.actor))
        if self.target:
            query = query.where(contains(col(AuditEntry.target), self.target))
        tz = ZoneInfo(zone)
        if self.first is not None:
            query = query.where(col(AuditEntry.at) >= datetime.combine(self.first, time(0), tz))
        if self.last is not None:
            query = query.where(col(AuditEntry.at) < datetime.combine(self.last + timedelta(days=1), time(0), tz))
        return query.order_by(col(AuditEntry.id).desc())

    def describe(self) -> str:
        """The filter as the audit log records an export of it."""
        parts = [f"{name}={value}" for name, value in (("action", self.action), ("actor", self.actor),
                 ("target", self.target), ("from", self.first), ("to", self.last)) if value]  # fmt: skip
        return " ".join(parts) or "all"
