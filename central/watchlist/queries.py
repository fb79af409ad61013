"""Police reads of the wanted-persons list: entries and their enrolment photos, scoped like alerts.

Never shown to employers (it would tip a suspect off): ``watchlist_scope`` is
false for them; the police see their jurisdiction's entries.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.paging import Paged, Paging, fetch
from central.watchlist.models import WatchlistEntry, WatchlistPublic
from central.watchlist.portraits import Portraits


def watchlist_scope(scope: Scope) -> ColumnElement[bool]:
    """Wanted-persons entries, like alerts: never shown to employers (it would tip a suspect off)."""
    if scope.role is Role.ADMIN:
        return true()
    if scope.role is Role.POLICE:
        return col(WatchlistEntry.jurisdiction) == scope.jurisdiction
    return false()


def watchlist_public(entry: WatchlistEntry, has_photo: bool) -> WatchlistPublic:
    photo = f"/api/watchlist/{entry.id}/photo" if has_photo else None
    return WatchlistPublic.model_validate(entry, update={"photo_url": photo})


def list_watchlist(session: Session, scope: Scope, portraits: Portraits, paging: Paging) -> Paged[WatchlistPublic]:
    query = select(WatchlistEntry).where(watchlist_scope(scope)).order_by(col(WatchlistEntry.id))
    found = fetch(session, query, paging)
    with_photo = portraits.present([entry.id for entry in found.rows])
    return found.map(lambda entry: watchlist_public(entry, entry.id in with_photo))


def get_watchlist_entry(session: Session, scope: Scope, entry_id: str) -> WatchlistEntry | None:
    return session.exec(select(WatchlistEntry).where(WatchlistEntry.id == entry_id, watchlist_scope(scope))).first()
