"""Posts, shifts and the roster: where guards stand, when, and who is rostered on which days.

The rules read posts (the level a post needs) and the roster (``NOT_ROSTERED``);
``central.attendance`` expands the roster into duties and judges the taps.
"""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Post(SQLModel, table=True):
    """A post (岗位) at a site; ``min_level`` is the guard level it needs (1 highest, 5 lowest)."""

    id: str = Field(primary_key=True, max_length=32)
    site_id: str = Field(foreign_key="site.id", index=True)
    name_zh: str
    name_en: str = ""
    min_level: int | None = Field(default=None, ge=1, le=5)


class Shift(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "name_zh"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True)
    post_id: str | None = Field(default=None, foreign_key="post.id")
    name_zh: str
    name_en: str = ""
    starts: time  # local time in the site's zone
    ends: time  # not later than starts: the shift ends the next day (attributed to its start day)
    late_grace_min: int = Field(default=5, ge=0, le=240)  # a first tap in later than this is late
    early_grace_min: int = Field(default=5, ge=0, le=240)  # a last tap out earlier than this is early


class ShiftAssignment(SQLModel, table=True):
    """A guard rostered on a shift on the given weekdays between two dates.

    A rostered day with no tap of the guard's own is an absence.
    """

    __table_args__ = (UniqueConstraint("shift_id", "guard_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    guard_id: str = Field(foreign_key="guard.id", index=True)
    valid_from: date
    valid_to: date | None = None
    weekdays: str = Field(default="1234567", max_length=7, regex=r"^[1-7]{1,7}$")  # ISO: 1 = Monday
