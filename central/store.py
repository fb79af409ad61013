"""The ingest write path: one check-in, its violations and its alert in one transaction.

Exactly-once in the database: the check-in row is inserted with ``ON CONFLICT
(event_id) DO NOTHING``; a duplicate adds nothing else. Dead letters and
terminal status live here too, so that ``central.ingest`` holds only MQTT
plumbing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from central.alerts import new_alert, police_message
from central.models import Checkin, DeadLetter, Terminal, Violation, utcnow
from central.photos import photo_relpath, write_photo
from central.registry import build_snapshot
from central.rules import RuleViolation, evaluate
from protocol.checkin import CheckinEvent
from protocol.messages import PoliceAlert, TerminalStatus

logger = logging.getLogger(__name__)


def mask(value: str, keep: int = 4) -> str:
    """``DEADBEEF`` -> ``****BEEF``: card uids and ID numbers never appear whole in logs."""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


@dataclass(frozen=True, slots=True)
class Recorded:
    event_id: UUID
    new: bool  # False: a duplicate delivery, nothing was added
    violations: tuple[str, ...]
    alert: PoliceAlert | None  # only for a new alert


def _raw_json(event: CheckinEvent) -> str:
    raw: dict[str, Any] = event.model_dump(mode="json", by_alias=True)
    if raw.get("photo"):
        raw["photo"]["data_b64"] = None  # the bytes are in the photo file; sha256 stays to verify it
    return json.dumps(raw, ensure_ascii=False)


def _checkin_row(event: CheckinEvent, site_id: str | None, guard_id: str | None, photo: str | None) -> dict[str, Any]:
    face, hit = event.face, event.face.watchlist.hit
    return {
        "event_id": event.event_id,
        "terminal_id": event.terminal_id,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "received_at": utcnow(),
        "site_id": site_id,
        "guard_id": guard_id,
        "card_kind": event.card.kind.value,
        "card_uid": event.card.uid,
        "direction": event.direction.value,
        "face_status": face.status.value,
        "verify_score": face.verify_score,
        "verify_threshold": face.verify_threshold,
        "watchlist_version": face.watchlist.list_version,
        "watchlist_entry_id": hit.entry_id if hit else None,
        "watchlist_score": hit.score if hit else None,
        "watchlist_matched_by": hit.matched_by if hit else None,
        "decision_outcome": event.decision.outcome.value,
        "decision_code": event.decision.code,
        "photo_path": photo,
        "raw_event": _raw_json(event),
    }


def _insert_checkin(session: Session, row: dict[str, Any]) -> bool:
    """Insert unless the event id is already stored; True when a row was added."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Checkin)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(col(Checkin.event_id))
    )
    # RETURNING, not rowcount: psycopg 3 reports rowcount -1 here.
    return session.exec(stmt).first() is not None


def _violation_rows(event_id: UUID, violations: list[RuleViolation]) -> list[Violation]:
    return [
        Violation(event_id=event_id, code=v.code, reason_zh=v.reason_zh, reason_en=v.reason_en, article=v.article)
        for v in violations
    ]


def record_event(
    engine: Engine,
    event: CheckinEvent,
    *,
    data_dir: Path,
    default_jurisdiction: str,
    public_url: str | None = None,
) -> Recorded:
    """Store ``event`` once; raises SQLAlchemyError / OSError when nothing could be committed."""
    photo: str | None = None
    if event.photo is not None:
        relpath = photo_relpath(event.event_id, event.occurred_at)
        write_photo(data_dir, relpath, event.photo.jpeg())
        photo = relpath.as_posix()
    with Session(engine) as session:
        snapshot = build_snapshot(session, event)
        guard_id = snapshot.guard.id if snapshot.guard else None
        site_id = snapshot.site.id if snapshot.site else None
        if not _insert_checkin(session, _checkin_row(event, site_id, guard_id, photo)):
            session.rollback()
            return Recorded(event.event_id, new=False, violations=(), alert=None)
        violations = evaluate(event, snapshot)
        session.add_all(_violation_rows(event.event_id, violations))
        alert = new_alert(session, event, snapshot, default_jurisdiction)
        if alert is not None:
            session.add(alert)
        session.commit()
        message = police_message(session, alert, public_url) if alert is not None else None
    return Recorded(event.event_id, new=True, violations=tuple(v.code for v in violations), alert=message)


def record_dead_letter(engine: Engine, topic: str, payload: bytes, reason: str, event_id: str | None) -> None:
    """Keep a payload central could not accept, with the reason, for later inspection."""
    with Session(engine) as session:
        session.add(DeadLetter(topic=topic, payload=payload, reason=reason, event_id=event_id))
        session.commit()


def record_status(engine: Engine, status: TerminalStatus) -> bool:
    """Update the terminal's last status; False for a terminal that is not registered."""
    with Session(engine) as session:
        terminal = session.get(Terminal, status.terminal_id)
        if terminal is None:
            return False
        terminal.online = status.online
        terminal.last_seen_at = status.at or utcnow()
        terminal.outbox_depth = status.outbox_depth
        terminal.software_version = status.software_version
        session.add(terminal)
        session.commit()
    return True
