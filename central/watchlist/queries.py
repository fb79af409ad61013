"""Police reads of the wanted-persons list: entries and their enrolment photos, scoped like alerts.

Never shown to employers (it would tip a suspect off): ``watchlist_scope`` is
false for them; the police see their jurisdiction's entries.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.paging import Paged, Paging, fetch
from central.watchlist.models import WatchlistEntry, WatchlistPublic


def watchlist_scope(scope: Scope) -> ColumnElement[bool]:
    """Wanted-persons entries, like alerts: never shown to employers (it would tip a suspect off)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(WatchlistEntry.jurisdiction) == scope.jurisdiction
    return false()


def watchlist_photo(data_dir: Path, entry_id: str) -> Path | None:
    """The enrolment photo of a watchlist entry, kept as ``watchlist/<id>.jpg`` under the data dir."""
    path = data_dir / "watchlist" / f"{entry_id}.jpg"
    return path if entry_id.replace("-", "").isalnum() and path.is_file() else None


def watchlist_public(entry: WatchlistEntry, data_dir: Path) -> WatchlistPublic:
    photo = f"/api/watchlist/{entry.id}/photo" if watchlist_photo(data_dir, entry.id) else None
    return WatchlistPublic.model_validate(entry, update={"photo_url": photo})


def list_watchlist(session: Session, scope: Scope, data_dir: Path, paging: Paging) -> Paged[WatchlistPublic]:
    query = select(WatchlistEntry).where(watchlist_scope(scope)).order_by(col(WatchlistEntry.id))
    return fetch(session, query, paging).map(lambda entry: watchlist_public(entry, data_dir))


def get_watchlist_entry(session: Session, scope: Scope, entry_id: str) -> WatchlistEntry | None:
    return session.exec(select(WatchlistEntry).where(WatchlistEntry.id == entry_id, watchlist_scope(scope))).first()
