"""Small messages besides the check-in event: receipts, terminal status, police alerts."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Receipt(_Wire):
    """Central to terminal: these event ids are committed (or dead-lettered) centrally.

    The terminal deletes an outbox row only on a receipt, never on the broker's PUBACK.
    """

    schema_: Literal["guardpost.receipt/1"] = Field(default="guardpost.receipt/1", alias="schema")
    event_ids: list[UUID]


class TerminalStatus(_Wire):
    """Retained on ``.../status``; the last will publishes ``online=False``."""

    schema_: Literal["guardpost.status/1"] = Field(default="guardpost.status/1", alias="schema")
    terminal_id: str
    online: bool
    at: AwareDatetime | None = None
    software_version: str | None = None
    watchlist_version: str | None = None
    watchlist_stale: str | None = None  # why the list is stale (needs_full, behind, too_old); None when current
    outbox_depth: int | None = None
    oldest_pending_s: float | None = None
    roster_version: str | None = None
    roster_stale: str | None = None  # refused (the last update was), needs_full, missing, too_old


class PoliceAlert(_Wire):
    """Central to police consumers on ``guardpost/v1/police/{jurisdiction}/alert``.

    ``alert_id`` equals the check-in's ``event_id``: a re-delivered alert is the same alert.
    """

    schema_: Literal["guardpost.alert/1"] = Field(default="guardpost.alert/1", alias="schema")
    alert_id: UUID
    event_id: UUID
    occurred_at: AwareDatetime
    terminal_id: str
    site_id: str | None
    site_name: str | None
    jurisdiction: str
    watchlist_entry_id: str
    watchlist_name: str | None
    score: float
    matched_by: Literal["face", "id_number"]
    photo_url: str | None = None
    # Set on the second sending of an alert nobody acknowledged in time (escalated to the supervisors).
    escalated_at: AwareDatetime | None = None


class RegistryHitAlert(_Wire):
    """Central to police consumers on ``guardpost/v1/police/{jurisdiction}/registry_hit``.

    A registered guard whose ID number is on the wanted list (比中方式: 身份证号), found by a
    registry sweep rather than by a tap. ``hit_id`` is the same for every sweep that finds the pair again.
    """

    schema_: Literal["guardpost.registry_hit/1"] = Field(default="guardpost.registry_hit/1", alias="schema")
    hit_id: int
    first_seen_at: AwareDatetime
    jurisdiction: str
    guard_id: str
    guard_name: str
    employer_id: str | None
    watchlist_entry_id: str
    watchlist_name: str | None
    matched_by: Literal["id_number"] = "id_number"
