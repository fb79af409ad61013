"""Wanted-person matches: the Alert row kept centrally and the PoliceAlert sent to the police.

An alert is keyed by the check-in's event id, so a re-delivered event can never
raise a second alert. Its jurisdiction is the police station of the site where
the match happened.
"""

from __future__ import annotations

from sqlmodel import Session

from central.models import Alert, AlertStatus, Site, WatchlistEntry, utcnow
from central.rules import RegistrySnapshot
from protocol.checkin import CheckinEvent
from protocol.messages import PoliceAlert


def new_alert(
    session: Session, event: CheckinEvent, snapshot: RegistrySnapshot, default_jurisdiction: str
) -> Alert | None:
    """The Alert for ``event``'s watchlist hit, or None when there is no hit."""
    hit = event.face.watchlist.hit
    if hit is None:
        return None
    entry = session.get(WatchlistEntry, hit.entry_id)
    return Alert(
        alert_id=event.event_id,
        watchlist_entry_id=hit.entry_id,
        watchlist_name=entry.name_zh if entry else None,
        score=hit.score,
        matched_by=hit.matched_by,
        terminal_id=event.terminal_id,
        site_id=snapshot.site.id if snapshot.site else None,
        jurisdiction=snapshot.site.jurisdiction if snapshot.site else default_jurisdiction,
        status=AlertStatus.NEW,
        occurred_at=event.occurred_at,
    )


def photo_url(public_url: str | None, alert: Alert) -> str | None:
    if public_url is None:
        return None
    return f"{public_url.rstrip('/')}/api/checkins/{alert.alert_id}/photo"


def police_message(session: Session, alert: Alert, public_url: str | None) -> PoliceAlert:
    """The wire message for ``alert`` on ``police_alert_topic(alert.jurisdiction)``."""
    site = session.get(Site, alert.site_id) if alert.site_id else None
    return PoliceAlert(
        alert_id=alert.alert_id,
        event_id=alert.alert_id,
        occurred_at=alert.occurred_at,
        terminal_id=alert.terminal_id,
        site_id=alert.site_id,
        site_name=site.name_zh if site else None,
        jurisdiction=alert.jurisdiction,
        watchlist_entry_id=alert.watchlist_entry_id,
        watchlist_name=alert.watchlist_name,
        score=alert.score,
        matched_by="id_number" if alert.matched_by == "id_number" else "face",
        photo_url=photo_url(public_url, alert),
    )


# The police workflow only moves forward; a false positive can still be declared after dispatch.
_NEXT: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.DISPATCHED, AlertStatus.FALSE_POSITIVE}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.DISPATCHED, AlertStatus.FALSE_POSITIVE}),
    AlertStatus.DISPATCHED: frozenset({AlertStatus.FALSE_POSITIVE}),
    AlertStatus.FALSE_POSITIVE: frozenset(),
}


class AlertTransitionError(ValueError):
    """A status change the workflow does not allow (e.g. back to ``new``)."""


def change_status(session: Session, alert: Alert, status: AlertStatus) -> Alert:
    """Move ``alert`` to ``status`` and commit; raises AlertTransitionError if not allowed."""
    current = AlertStatus(alert.status)
    if status not in _NEXT[current]:
        raise AlertTransitionError(f"alert {alert.alert_id} cannot go from {current} to {status}")
    alert.status = status
    alert.status_changed_at = utcnow()
    session.add(alert)
    session.commit()
    session.refresh(alert)
    return alert
