"""Wanted-person alerts: the alert of a match, the police's steps on it, and the decisions that suppress.

An ``Alert`` is keyed by the check-in's event id, so a re-delivered event can
never raise a second one. ``AlertAction`` records who moved an alert to which
status, when, with a note. A face match the police marked false positive is
remembered per (watchlist entry, guard) in ``FalsePositiveDecision``; a later
match of the pair is stored already decided and linked to that decision in
``AlertSuppression``. Neither of the last two has a foreign key to ``alert``:
a decision must outlive the purge of its alert. ``RegistryHit`` is a registered
guard whose ID number is on the wanted list, found by a registry sweep
(``central.alerts.sweep``): one row per (guard, entry), whatever the number of sweeps.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, enum_column, utcnow
from central.registry.models import GuardPublic
from central.watchlist.models import WatchlistPublic


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    CLOSED = "closed"  # dealt with: the person was checked, the case handed on
    FALSE_POSITIVE = "false_positive"


class Alert(SQLModel, table=True):
    alert_id: uuid.UUID = Field(primary_key=True, foreign_key="checkinevent.event_id")  # = event_id
    watchlist_entry_id: str = Field(max_length=32)  # the terminal's list may be newer than ours: no FK
    watchlist_name: str | None = None
    score: float
    matched_by: str = Field(max_length=16)
    terminal_id: str = Field(max_length=64)
    site_id: str | None = Field(default=None, foreign_key="site.id")
    jurisdiction: str = Field(max_length=32, index=True)
    status: AlertStatus = Field(default=AlertStatus.NEW, sa_type=enum_column())
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status_changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When the broker acknowledged the police message; None: not yet, or suppressed (no message is due).
    notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Set once, by whichever central worker escalated it: still new after the set delay (central.alerts.escalation).
    escalated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AlertAction(SQLModel, table=True):
    """One step of the police workflow on an alert: which status, set by whom, when.

    Purged together with its alert when the alert's retention ends.
    """

    id: int | None = Field(default=None, primary_key=True)
    alert_id: uuid.UUID = Field(foreign_key="alert.alert_id", index=True)
    status: str = Field(max_length=24)
    actor: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    note: str = Field(default="", max_length=500)


class FalsePositiveDecision(SQLModel, table=True):
    """The police said this face match was not the wanted person: remembered per (entry, guard)."""

    alert_id: uuid.UUID = Field(primary_key=True)  # the alert decided on
    watchlist_entry_id: str = Field(max_length=32, index=True)
    guard_id: str | None = Field(default=None, max_length=32, index=True)  # None: card not registered
    decided_by: str = Field(default="", max_length=64)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AlertSuppression(SQLModel, table=True):
    """A stored alert that raised no police message, and the earlier decision that suppressed it."""

    alert_id: uuid.UUID = Field(primary_key=True)
    decision_alert_id: uuid.UUID = Field(index=True)  # FalsePositiveDecision.alert_id
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RegistryHitStatus(StrEnum):
    OPEN = "open"  # the guard's registered ID number is on the list (as of the last sweep)
    CLEARED = "cleared"  # no longer: the entry was removed, or a number was corrected


class RegistryHit(SQLModel, table=True):
    """A registered guard whose ID number equals a wanted-list entry's (比中方式: 身份证号).

    No foreign keys: the record outlives the guard's or the entry's removal.
    """

    __table_args__ = (UniqueConstraint("guard_id", "watchlist_entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    guard_id: str = Field(max_length=32, index=True)
    watchlist_entry_id: str = Field(max_length=32, index=True)
    jurisdiction: str = Field(max_length=32, index=True)  # the police the hit is for
    status: RegistryHitStatus = Field(default=RegistryHitStatus.OPEN, sa_type=enum_column())
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # police message published


class RegistryHitPublic(SQLModel):
    """A registry hit as the police see it: the guard as registered and the entry their number is on."""

    id: int
    guard_id: str
    guard_name_zh: str | None  # None: the guard was removed from the registry since
    employer_id: str | None
    employer_name_zh: str | None = None
    watchlist_entry_id: str
    watchlist_name: str | None
    matched_by: str = "id_number"
    jurisdiction: str
    status: RegistryHitStatus
    first_seen_at: datetime
    last_seen_at: datetime
    notified_at: datetime | None


class AlertPublic(SQLModel):
    alert_id: uuid.UUID
    watchlist_entry_id: str
    watchlist_name: str | None
    score: float
    matched_by: str
    terminal_id: str
    site_id: str | None
    jurisdiction: str
    status: AlertStatus
    occurred_at: datetime
    created_at: datetime
    escalated_at: datetime | None = None
    photo_url: str


class AlertActionPublic(SQLModel):
    status: str
    actor: str
    at: datetime
    note: str


class AlertDetail(AlertPublic):
    """An alert as the police page shows it: site, watchlist entry and who decided what, when."""

    site_name_zh: str | None
    site_name_en: str | None
    site_timezone: str
    changed_at: datetime  # of the latest change (creation or status): the live stream's resume point
    watchlist: WatchlistPublic | None
    actions: list[AlertActionPublic]
    guard: GuardPublic | None = None  # the card holder as registered (an ID-number match: the wanted person)
    employer_name_zh: str | None = None  # the card holder's employer, as registered
    employer_name_en: str | None = None
    site_address: str | None = None
    site_map_url: str | None = None  # Amap (高德) at the site's coordinates, when the registry has them
    next: list[AlertStatus] = []  # the workflow steps open from the current status
