"""A reminder (到期提醒) the daily registry check leaves for what ends soon: a licence, filing or contract.

Not a case: nothing is broken yet, the holder is told in time. One reminder per
finding and end date, so that the check, run every day, says it once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from central.db.types import UtcDateTime, utcnow


class Reminder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # the finding's key and its end date
    code: str = Field(max_length=40)
    reason_zh: str
    reason_en: str
    article: str = ""
    company_id: str | None = Field(default=None, index=True)
    site_id: str | None = Field(default=None, index=True)
    due: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
