"""What each terminal was last sent of its roster: the version and a digest per guard (for increments)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime


class RosterPush(SQLModel, table=True):
    terminal_id: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)
    on: date  # the local day the verdicts were for
    digests: dict[str, str] = Field(sa_type=JSON)  # guard id -> digest of the guard's entry as sent
    pushed_at: datetime = Field(sa_type=UtcDateTime)
