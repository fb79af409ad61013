"""Routes of the watchlist editor: add, change and remove wanted persons; where terminals stand; push.

Police edit their own jurisdiction's entries (another jurisdiction's entry is
404, as if it did not exist) and push to the terminals at its sites; the
administrator edits every entry and pushes to every terminal; employers get
403. Reading the entries stays with ``central.api.police`` (``GET
/api/watchlist``, audited). Bodies are JSON only (photos as base64); with the
session cookie, every write also carries the session's CSRF token
(``central.api.deps.csrf_protect``, applied app-wide). The page is
``central.web.watchlist``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel
from sqlmodel import Session

from central.access.audit import audit
from central.access.scope import Scope
from central.api.deps import IngestDep, PoliceScopeDep, PortraitsDep, SessionDep, SettingsDep
from central.api.sweeps import sweep_and_notify
from central.checkins.ingest import Ingest
from central.errors import found
from central.watchlist import editor as crud_watchlist
from central.watchlist import queries as watchlist_queries
from central.watchlist.editor import EntryChange, EntryCreate, EntryUpdate, PushResult, SyncStatus
from central.watchlist.models import WatchlistEntry

router = APIRouter(prefix="/api/watchlist", tags=["watchlist"])

# A web request waits this long for the broker; the command line waits longer.
PUBLISH_TIMEOUT_S = 10.0
EntryId = Annotated[str, Path(min_length=1, max_length=32)]


class PushRequest(BaseModel):
    full: bool = False  # full updates for every terminal, whatever version it reported


def _entry(session: Session, scope: Scope, entry_id: str) -> WatchlistEntry:
    return found(watchlist_queries.get_watchlist_entry(session, scope, entry_id), "watchlist_entry")


def _sweep(session: Session, scope: Scope, ingest: Ingest | None, entry_id: str, why: str) -> None:
    """Registered guards against the changed entry (``central.api.sweeps``): a hit is a police alert."""
    sweep_and_notify(session, scope, ingest.publish if ingest is not None else None, why=why, entry_ids=[entry_id])


@router.post("", status_code=201)
def add_entry(
    new: EntryCreate, session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep, ingest: IngestDep
) -> EntryChange:
    """A wanted person with one or more photos; central computes a face template per photo.

    A photo without a usable face is refused (422) with the reason in Chinese and English; nothing is added.
    """
    change = crud_watchlist.add(session, scope, portraits, new)
    assert change.entry is not None
    added = change.entry
    audit(session, scope, "watchlist.add", added.id, f"{change.version} {added.name_zh} templates={added.templates}")
    _sweep(session, scope, ingest, added.id, "watchlist entry added")
    return change


@router.patch("/{entry_id}")
def update_entry(
    entry_id: EntryId,
    change: EntryUpdate,
    session: SessionDep,
    scope: PoliceScopeDep,
    portraits: PortraitsDep,
    ingest: IngestDep,
) -> EntryChange:
    """Change name, ID number, note or photos (new photos replace all templates); a new list version."""
    entry = _entry(session, scope, entry_id)
    changed = crud_watchlist.update(session, scope, portraits, entry, change)
    audit(session, scope, "watchlist.update", entry_id, f"{changed.version} changed={','.join(changed.changed)}")
    _sweep(session, scope, ingest, entry_id, "watchlist entry changed")
    return changed


@router.delete("/{entry_id}")
def remove_entry(
    entry_id: EntryId, session: SessionDep, scope: PoliceScopeDep, portraits: PortraitsDep, ingest: IngestDep
) -> EntryChange:
    """Remove the entry, its templates and its photo; terminals drop it with the next update."""
    entry = _entry(session, scope, entry_id)
    name = entry.name_zh
    change = crud_watchlist.remove(session, scope, portraits, entry)
    audit(session, scope, "watchlist.remove", entry_id, f"{change.version} {name}")
    _sweep(session, scope, ingest, entry_id, "watchlist entry removed")  # its hits are cleared
    return change


@router.get("/sync/status")
def sync_status(session: SessionDep, scope: PoliceScopeDep) -> SyncStatus:
    """Central's version, and the version each terminal of the jurisdiction reported."""
    return crud_watchlist.sync_status(session, scope)


@router.post("/sync/push")
def push(
    session: SessionDep,
    scope: PoliceScopeDep,
    settings: SettingsDep,
    request: Annotated[PushRequest | None, Body()] = None,
) -> PushResult:
    """Sign and publish the list to the terminals of the jurisdiction, each from the version it holds.

    409 when no signing key is configured (or central holds no list), 502 when the broker does not take them.
    """
    full = request.full if request is not None else False
    result = crud_watchlist.push_to_terminals(
        session, scope, settings.mqtt, full=full, timeout_s=PUBLISH_TIMEOUT_S, key_path=settings.signing_key_path
    )
    summary = ", ".join(f"{p.terminal_id}:{p.kind}" for p in result.sent) or "no terminals"
    audit(session, scope, "watchlist.push", scope.jurisdiction or "*", f"{result.version} {summary}")
    return result
