"""Central's wanted-persons list: entries, their face templates, the list's revisions and pushes.

``WatchlistEntry`` is a wanted person (ID number sealed at rest, found by its
keyed hash). Beside it: ``WatchlistTemplate`` (512-byte SFace templates of an
entry), ``WatchlistRevision`` (each version of the list as a whole),
``WatchlistChange`` (the entries a revision changed, for incremental updates)
and ``WatchlistPush`` (what each terminal was last sent).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central.db.types import SealedIdNumber, UtcDateTime, hash_default, track_lookup_hash, utcnow
from protocol.id_number import check as check_id_number


class WatchlistEntry(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    name_zh: str
    name_en: str = ""
    id_number: str | None = Field(default=None, max_length=18, sa_type=SealedIdNumber)  # sealed at rest
    id_number_hash: str | None = Field(
        default=None, max_length=64, index=True, sa_column_kwargs={"default": hash_default}
    )
    jurisdiction: str = Field(max_length=32)
    notes: str = ""

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str | None) -> str | None:
        return None if value is None else check_id_number(value)


track_lookup_hash(WatchlistEntry)


class WatchlistTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(foreign_key="watchlistentry.id", index=True, max_length=32)
    data: bytes = Field(sa_type=LargeBinary)  # 128 little-endian float32


class WatchlistPortrait(SQLModel, table=True):
    """An entry's photo when central keeps photos in the database (``photo_store = "database"``)."""

    entry_id: str = Field(primary_key=True, max_length=32)
    jpeg: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class WatchlistRevision(SQLModel, table=True):
    seq: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True, max_length=64)
    issued_at: datetime = Field(sa_type=UtcDateTime)
    replaced: bool = False  # an import of the whole list (entries missing from it were removed)


class WatchlistChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(foreign_key="watchlistrevision.seq", index=True)
    entry_id: str = Field(max_length=32)  # no FK: a removed entry's row is gone


class WatchlistPush(SQLModel, table=True):
    terminal_id: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)
    pushed_at: datetime = Field(sa_type=UtcDateTime)


class WatchlistPublic(SQLModel):
    id: str
    name_zh: str
    name_en: str
    id_number: str | None
    jurisdiction: str
    notes: str
    photo_url: str | None
