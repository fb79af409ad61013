"""Wanted-person matches: the Alert row kept centrally and the PoliceAlert sent to the police.

An alert is keyed by the check-in's event id, so a re-delivered event can never
raise a second alert. Its jurisdiction is the police station of the site where
the match happened.

Also owns false-positive decisions and what they suppress: when the police mark a
face match false positive, the pair (watchlist entry, guard) is remembered
(``FalsePositiveDecision``); a later face match of the same pair is still stored,
already decided (status ``false_positive``) and linked to that decision
(``AlertSuppression``), but no police message is sent for it. An ID-number match is
exact and never suppressed: a wrong entry is corrected on the list instead. Neither
table has a foreign key to ``alert``: a decision must outlive the purge of its alert.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from central.alerts.id_numbers import Wanted
from central.alerts.models import Alert, AlertStatus, AlertSuppression, FalsePositiveDecision
from central.db.types import utcnow
from central.errors import Conflict, Unprocessable, found
from central.registry.models import Site
from central.registry.snapshot import RegistrySnapshot
from central.watchlist.models import WatchlistEntry
from protocol.checkin import CheckinEvent, WatchlistHit
from protocol.messages import PoliceAlert


def new_alert(
    session: Session,
    event: CheckinEvent,
    snapshot: RegistrySnapshot,
    default_jurisdiction: str,
    wanted: Wanted | None = None,
) -> Alert | None:
    """The Alert for ``event``'s watchlist hit, or None when there is no hit.

    ``wanted``: the entry the card holder's registered ID number is on
    (``central.alerts.id_numbers``), a hit by ID number when the terminal reported none.
    """
    hit = event.face.watchlist.hit
    if hit is None and wanted is not None:
        hit = WatchlistHit(entry_id=wanted.entry_id, score=1.0, threshold=1.0, matched_by="id_number")
    if hit is None:
        return None
    entry = session.get(WatchlistEntry, hit.entry_id)
    alert = Alert(
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
    guard_id = snapshot.guard.id if snapshot.guard else None
    decision = earlier_decision(session, hit.entry_id, guard_id) if hit.matched_by == "face" else None
    if decision is not None:
        alert.status, alert.status_changed_at = AlertStatus.FALSE_POSITIVE, utcnow()
        session.add(AlertSuppression(alert_id=alert.alert_id, decision_alert_id=decision.alert_id))
    return alert


def photo_url(public_url: str | None, alert: Alert) -> str | None:
    if public_url is None:
        return None
    return f"{public_url.rstrip('/')}/api/checkins/{alert.alert_id}/photo"


def police_message(session: Session, alert: Alert, public_url: str | None) -> PoliceAlert | None:
    """The wire message for ``alert`` on ``police_alert_topic(alert.jurisdiction)``; None if suppressed."""
    if session.get(AlertSuppression, alert.alert_id) is not None:
        return None
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
        escalated_at=alert.escalated_at,
    )


# The police workflow only moves forward: new -> acknowledged -> dispatched -> closed. A false
# positive can be declared at any step before the alert is closed.
_NEXT: dict[AlertStatus, tuple[AlertStatus, ...]] = {
    AlertStatus.NEW: (AlertStatus.ACKNOWLEDGED, AlertStatus.FALSE_POSITIVE),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.DISPATCHED, AlertStatus.CLOSED, AlertStatus.FALSE_POSITIVE),
    AlertStatus.DISPATCHED: (AlertStatus.CLOSED, AlertStatus.FALSE_POSITIVE),
    AlertStatus.CLOSED: (),
    AlertStatus.FALSE_POSITIVE: (),
}

# How people read a status in an error: Chinese first, English second.
STATUS_NAMES: dict[AlertStatus, tuple[str, str]] = {
    AlertStatus.NEW: ("新告警", "new"),
    AlertStatus.ACKNOWLEDGED: ("已确认", "acknowledged"),
    AlertStatus.DISPATCHED: ("已出警", "dispatched"),
    AlertStatus.CLOSED: ("已结案", "closed"),
    AlertStatus.FALSE_POSITIVE: ("误报", "false positive"),
}


class AlertTransitionError(Conflict):
    """A status change the workflow does not allow (e.g. back to ``new``)."""

    code = "alert.transition"


class AlertNoteRequired(Unprocessable):
    """A false positive without a note: the reason is what a later reviewer of the decision reads."""

    code = "alert.note_required"


def next_steps(status: AlertStatus) -> tuple[AlertStatus, ...]:
    """The statuses an alert in ``status`` may move to, in the order the page offers them."""
    return _NEXT[AlertStatus(status)]


def check_step(current: AlertStatus, status: AlertStatus, note: str) -> None:
    """Raise AlertTransitionError for a step not allowed, AlertNoteRequired for a false positive without a note."""
    _check_transition(current, status)
    if status is AlertStatus.FALSE_POSITIVE and not note.strip():
        raise AlertNoteRequired("标记误报须填写说明 / a false positive needs a note saying why")


def _check_transition(current: AlertStatus, status: AlertStatus) -> None:
    if status not in _NEXT[current]:
        now_zh, now_en = STATUS_NAMES[current]
        to_zh, to_en = STATUS_NAMES[status]
        raise AlertTransitionError(
            f"告警当前为「{now_zh}」，不能改为「{to_zh}」 / the alert is {now_en}: it cannot be set to {to_en}"
        )


def change_status(
    session: Session, alert: Alert, status: AlertStatus, by: str = "", *, guard_id: str | None = None
) -> Alert:
    """Move ``alert`` to ``status`` and commit; raises AlertTransitionError if not allowed.

    Moving a face match to ``false_positive`` also records the decision for its pair
    (entry, ``guard_id``: the guard whose card was tapped), in the same transaction, so
    that later matches of the pair are suppressed.
    """
    _check_transition(AlertStatus(alert.status), status)
    if status is AlertStatus.FALSE_POSITIVE and alert.matched_by == "face":
        session.add(FalsePositiveDecision(alert_id=alert.alert_id, watchlist_entry_id=alert.watchlist_entry_id,
                                          guard_id=guard_id, decided_by=by))  # fmt: skip
    alert.status = status
    alert.status_changed_at = utcnow()
    session.add(alert)
    session.commit()
    session.refresh(alert)
    return alert


def earlier_decision(session: Session, entry_id: str, guard_id: str | None) -> FalsePositiveDecision | None:
    """The first false-positive decision on this (entry, guard) pair; never for an unknown guard."""
    if guard_id is None:
        return None
    query = select(FalsePositiveDecision).where(
        FalsePositiveDecision.watchlist_entry_id == entry_id, FalsePositiveDecision.guard_id == guard_id
    )
    return session.exec(query.order_by(col(FalsePositiveDecision.decided_at))).first()


def is_suppressed(session: Session, entry_id: str, guard_id: str | None) -> bool:
    """True when the police marked a face match of this entry on this guard false positive before."""
    return earlier_decision(session, entry_id, guard_id) is not None


def mark_false_positive(session: Session, alert_id: uuid.UUID, by: str, guard_id: str | None) -> Alert:
    """The police's decision on ``alert_id``: status ``false_positive``, remembered for its pair; commits.

    ``guard_id`` is the guard whose card was tapped (``central.checkins.queries.guard_of``).

    Raises NotFound for an unknown alert, AlertTransitionError when already decided.
    """
    alert = found(session.get(Alert, alert_id), "alert")
    return change_status(session, alert, AlertStatus.FALSE_POSITIVE, by=by, guard_id=guard_id)
