"""Writing and reading central's wanted-persons list: entries with their templates, and its revisions.

The tables are in ``central.watchlist.models``: templates (512 bytes of
little-endian float32 each; templates, never images), one revision per version
of the list, in order, with the entry ids each revision touched (so that an
incremental update from any earlier version is the set of entries changed
since), and the last version sent to each terminal. Also the import file format
(``read_import_file``) and the editor's one-entry changes (``save_entry``,
``remove_entry``), each a revision of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from central.db.types import utcnow
from central.watchlist.models import (
    WatchlistChange,
    WatchlistEntry,
    WatchlistPush,
    WatchlistRevision,
    WatchlistTemplate,
)
from protocol.id_number import check as check_id_number
from protocol.signed import decode_template


class ImportEntry(BaseModel):
    """One wanted person in an import file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=32)
    name_zh: str
    name_en: str = ""
    id_number: Annotated[str, AfterValidator(check_id_number)] | None = Field(default=None, max_length=32)
    jurisdiction: str = Field(max_length=32)
    notes: str = ""
    templates: list[str] = []  # base64 of 128 little-endian float32 (shared.face.MODEL_ID templates)


class ImportFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = Field(pattern=r"^guardpost\.watchlist_import/1$")
    model: str  # the face model of the templates
    entries: list[ImportEntry]


@dataclass(frozen=True, slots=True)
class ListedEntry:
    entry: WatchlistEntry
    templates: tuple[bytes, ...]


def read_import_file(path: Path) -> ImportFile:
    """Parse an import file; ValueError (naming the problem) when it is malformed."""
    try:
        document = ImportFile.model_validate(json.loads(Path(path).read_bytes()))
        for entry in document.entries:
            for text in entry.templates:
                decode_template(text)
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise ValueError(f"not a watchlist import file: {path}: {exc}") from exc
    return document


def import_entries(session: Session, entries: Sequence[ImportEntry], *, replace: bool) -> WatchlistRevision:
    """Add or replace ``entries`` (and, with ``replace``, remove every other entry) as one new revision."""
    changed = {e.id for e in entries}
    if replace:
        listed = set(session.exec(select(WatchlistEntry.id)).all())
        removed = listed - changed
        session.exec(delete(WatchlistTemplate).where(col(WatchlistTemplate.entry_id).in_(removed)))
        session.exec(delete(WatchlistEntry).where(col(WatchlistEntry.id).in_(removed)))
        changed |= removed
    for item in entries:
        _upsert(session, item)
    revision = _new_revision(session, changed, replaced=replace)
    session.commit()
    session.refresh(revision)
    return revision


def _upsert(session: Session, item: ImportEntry) -> None:
    fields = item.model_dump(exclude={"templates"})
    row = session.get(WatchlistEntry, item.id)
    if row is None:
        session.add(WatchlistEntry(**fields))
    else:
        row.sqlmodel_update(fields)
        session.add(row)
    session.flush()
    session.exec(delete(WatchlistTemplate).where(col(WatchlistTemplate.entry_id) == item.id))
    session.add_all(WatchlistTemplate(entry_id=item.id, data=decode_template(t)) for t in item.templates)


def _new_revision(session: Session, changed: Iterable[str], *, replaced: bool) -> WatchlistRevision:
    issued_at = utcnow()
    last = session.exec(select(WatchlistRevision).order_by(col(WatchlistRevision.seq).desc())).first()
    seq = (last.seq or 0) + 1 if last else 1
    # The sequence number orders versions; the time makes them unique across database rebuilds.
    revision = WatchlistRevision(seq=seq, version=f"r{seq}.{issued_at:%Y%m%dT%H%M%SZ}", issued_at=issued_at,
                                 replaced=replaced)  # fmt: skip
    session.add(revision)
    session.flush()
    session.add_all(WatchlistChange(seq=seq, entry_id=entry_id) for entry_id in sorted(changed))
    return revision


def current_revision(session: Session) -> WatchlistRevision | None:
    return session.exec(select(WatchlistRevision).order_by(col(WatchlistRevision.seq).desc())).first()


def ensure_revision(session: Session) -> WatchlistRevision | None:
    """The current version; for entries stored without one (seeded, or written before revisions), a first one.

    None when there are no entries. Commits a first version; terminals get it as a full update.
    """
    current = current_revision(session)
    entry_ids = session.exec(select(WatchlistEntry.id)).all()
    if current is not None or not entry_ids:
        return current
    revision = _new_revision(session, entry_ids, replaced=True)
    session.commit()
    session.refresh(revision)
    return revision


def changed_since(session: Session, base_version: str) -> set[str] | None:
    """Entry ids changed after ``base_version``; None when central does not know that version."""
    base = session.exec(select(WatchlistRevision).where(WatchlistRevision.version == base_version)).first()
    if base is None:
        return None
    rows = session.exec(select(WatchlistChange.entry_id).where(col(WatchlistChange.seq) > base.seq)).all()
    return set(rows)


def listed_entries(session: Session, entry_ids: Iterable[str] | None = None) -> list[ListedEntry]:
    """Entries with their templates, ordered by id; all of them, or those of ``entry_ids`` still listed."""
    query = select(WatchlistEntry).order_by(col(WatchlistEntry.id))
    if entry_ids is not None:
        query = query.where(col(WatchlistEntry.id).in_(list(entry_ids)))
    entries = session.exec(query).all()
    templates: dict[str, list[bytes]] = {e.id: [] for e in entries}
    rows = session.exec(
        select(WatchlistTemplate)
        .where(col(WatchlistTemplate.entry_id).in_(list(templates)))
        .order_by(col(WatchlistTemplate.id))
    ).all()
    for row in rows:
        templates[row.entry_id].append(row.data)
    return [ListedEntry(e, tuple(templates[e.id])) for e in entries]


def record_push(session: Session, terminal_id: str, version: str) -> None:
    row = session.get(WatchlistPush, terminal_id) or WatchlistPush(terminal_id=terminal_id, version=version,
                                                                   pushed_at=utcnow())  # fmt: skip
    row.version, row.pushed_at = version, utcnow()
    session.add(row)
    session.commit()


def last_push(session: Session, terminal_id: str) -> str | None:
    row = session.get(WatchlistPush, terminal_id)
    return row.version if row else None


# --- the editor: one entry at a time -------------------------------------------------------


def save_entry(session: Session, entry: WatchlistEntry, templates: Sequence[bytes] | None) -> WatchlistRevision:
    """Add or change ``entry`` as one new revision; ``templates`` (when given) replace the entry's templates."""
    session.add(entry)
    session.flush()
    if templates is not None:
        session.exec(delete(WatchlistTemplate).where(col(WatchlistTemplate.entry_id) == entry.id))
        session.add_all(WatchlistTemplate(entry_id=entry.id, data=t) for t in templates)
    revision = _new_revision(session, {entry.id}, replaced=False)
    session.commit()
    session.refresh(revision)
    return revision


def remove_entry(session: Session, entry_id: str) -> WatchlistRevision:
    """Drop an entry and its templates as one new revision (an incremental update lists it as removed)."""
    session.exec(delete(WatchlistTemplate).where(col(WatchlistTemplate.entry_id) == entry_id))
    session.exec(delete(WatchlistEntry).where(col(WatchlistEntry.id) == entry_id))
    revision = _new_revision(session, {entry_id}, replaced=False)
    session.commit()
    session.refresh(revision)
    return revision


def template_counts(session: Session, entry_ids: Iterable[str]) -> dict[str, int]:
    """How many face templates each entry has (0 for an entry matched on its ID number only)."""
    wanted = list(entry_ids)
    counts = dict.fromkeys(wanted, 0)
    rows = session.exec(
        select(WatchlistTemplate.entry_id, func.count()).where(col(WatchlistTemplate.entry_id).in_(wanted))
        .group_by(col(WatchlistTemplate.entry_id))
    ).all()  # fmt: skip
    counts.update({entry_id: int(n) for entry_id, n in rows})
    return counts


def known_versions(session: Session) -> set[str]:
    """Every version central has issued (a terminal reporting another one needs a full update)."""
    return set(session.exec(select(WatchlistRevision.version)).all())
