"""The ingest write path: check-ins, their violations and their alerts in one transaction.

Exactly-once in the database: each event id is first claimed in
``checkinevent`` (``ON CONFLICT (event_id) DO NOTHING``), and only a claimed id
has its check-in, violations and alert written, in the same transaction; a
duplicate adds nothing else. The claim table is unpartitioned, so this holds on
PostgreSQL, where ``checkin`` is partitioned by month and its key includes the
month. Several events share
one transaction (``record_events``) because a commit per event caps ingest at
a few hundred events per second; idempotency stays per event. Dead letters
and terminal status live here too, so that ``central.checkins.ingest`` holds only MQTT
plumbing.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, TextClause, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from central.alerts.id_numbers import WantedNumbers, read_wanted
from central.alerts.models import Alert
from central.alerts.workflow import new_alert, police_message
from central.checkins.clock import DEFAULT_MARGIN_S, clock_violation
from central.checkins.dead_letters import mask_numbers, mask_payload
from central.checkins.id_numbers import card_columns, seal_raw_event
from central.checkins.models import CheckinClaim, DeadLetter, Violation
from central.checkins.photo_store import FilePhotoStore, PhotoStore
from central.checkins.photos import photo_relpath
from central.checkins.rules import RuleViolation, evaluate
from central.db.sealing import IdCipher, cipher_for
from central.db.types import utcnow
from central.registry.models import Terminal
from central.registry.snapshot import RegistrySnapshot, build_snapshots
from protocol import topics
from protocol.checkin import CardKind, CheckinEvent
from protocol.messages import PoliceAlert

logger = logging.getLogger(__name__)


def mask(value: str, keep: int = 4) -> str:
    """``DEADBEEF`` -> ``****BEEF``: card uids and ID numbers never appear whole in logs."""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


@dataclass(frozen=True, slots=True)
class Recorded:
    event_id: UUID
    new: bool  # False: a duplicate delivery (nothing was added), or a conflict (dead-lettered)
    violations: tuple[str, ...]
    alert: PoliceAlert | None  # only for a new alert
    conflict: bool = False  # the id was stored with other content: this copy is a dead letter


def _raw_json(event: CheckinEvent, cipher: Callable[[], IdCipher]) -> str:
    raw: dict[str, Any] = event.model_dump(mode="json", by_alias=True)
    if raw.get("photo"):
        raw["photo"]["data_b64"] = None  # the bytes are in the photo file; sha256 stays to verify it
    if event.card.kind is CardKind.RESIDENT_ID or event.card.id_card is not None:
        seal_raw_event(raw, cipher())
    return json.dumps(raw, ensure_ascii=False)


def _checkin_row(
    event: CheckinEvent, snap: RegistrySnapshot, photo: str | None, cipher: Callable[[], IdCipher]
) -> dict[str, Any]:
    face, hit = event.face, event.face.watchlist.hit
    site_id = snap.site.id if snap.site else None
    guard_id = snap.guard.id if snap.guard else None
    return {
        "event_id": event.event_id,
        "terminal_id": event.terminal_id,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "received_at": utcnow(),
        "site_id": site_id,
        "guard_id": guard_id,
        "employer_id": snap.guard.employer_id if snap.guard else None,
        "card_kind": event.card.kind.value,
        **card_columns(event.card.kind.value, event.card.uid, cipher),
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
        "content_hash": event.content_hash(),
        "raw_event": _raw_json(event, cipher),
    }


def _claim(session: Session, rows: list[dict[str, Any]]) -> set[UUID]:
    """Claim the rows' event ids in ``checkinevent``; returns the ids that were new (theirs to write)."""
    # Sorted: two central workers claiming overlapping batches lock keys in the
    # same order, so they wait for each other instead of deadlocking.
    claims = sorted(
        ({"event_id": r["event_id"], "occurred_at": r["occurred_at"], "content_hash": r["content_hash"]} for r in rows),
        key=lambda r: str(r["event_id"]),
    )
    table = SQLModel.metadata.tables["checkinevent"]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The Core table with executemany parameters: one cached statement that SQLAlchemy
    # sends as multi-row INSERTs ("insertmanyvalues"); RETURNING says which rows were new.
    stmt = insert(table).on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.event_id)
    return {UUID(str(event_id)) for event_id in session.execute(stmt, claims).scalars()}


def _insert_checkins(session: Session, rows: list[dict[str, Any]]) -> set[UUID]:
    """Insert the rows whose event id is not stored yet; returns the ids that were added."""
    claimed = _claim(session, rows)
    rows = [row for row in rows if row["event_id"] in claimed]
    if not rows:
        return claimed
    if session.get_bind().dialect.name == "postgresql":
        _insert_checkins_pg(session, rows)
    else:  # the ORM bulk path and a freshly compiled VALUES list per batch cost more than the database does
        session.execute(SQLModel.metadata.tables["checkin"].insert(), rows)
    return claimed


@functools.cache
def _recordset_insert(columns: tuple[str, ...]) -> TextClause:
    """``INSERT ... SELECT FROM json_populate_recordset(<the batch as one JSON array>)``.

    One short statement and one text parameter per batch: a multi-row VALUES
    list is a long SQL text psycopg re-parses on every execution, and one
    array per column has psycopg escape every value in Python; ``json.dumps``
    does that in C and PostgreSQL casts each field to its column's type.
    """
    names = ", ".join(columns)
    return text(
        f"INSERT INTO checkin ({names}) SELECT {names}"  # noqa: S608  (column names from _checkin_row)
        " FROM json_populate_recordset(NULL::checkin, CAST(:rows AS json))"
    )


def _insert_checkins_pg(session: Session, rows: list[dict[str, Any]]) -> None:
    # This path bypasses the column types: seal the ID numbers here (the SQLite path's type does it there).
    if any(row["card_id_number"] for row in rows):
        cipher = cipher_for(session.get_bind().dialect)
        rows = [{**row, "card_id_number": cipher.seal(row["card_id_number"])} if row["card_id_number"] else row
                for row in rows]  # fmt: skip
    # default=str: UUIDs and aware datetimes as text PostgreSQL reads back exactly.
    batch = json.dumps(rows, default=str, ensure_ascii=False)
    session.execute(_recordset_insert(tuple(rows[0])), {"rows": batch})


def _store_photos(store: PhotoStore, events: list[CheckinEvent], session: Session) -> dict[UUID, str | None]:
    """Keep the batch's photos durably, together; event id -> its key (``Checkin.photo_path``)."""
    photos = {
        e.event_id: (photo_relpath(e.event_id, e.occurred_at).as_posix(), e.photo.jpeg()) for e in events if e.photo
    }
    store.put(photos.values(), session)
    return {e.event_id: photos[e.event_id][0] if e.event_id in photos else None for e in events}


def _violation_rows(row: dict[str, Any], violations: list[RuleViolation]) -> list[Violation]:
    where = {"event_id": row["event_id"], "occurred_at": row["occurred_at"], "site_id": row["site_id"]}
    return [
        Violation(**where, code=v.code, reason_zh=v.reason_zh, reason_en=v.reason_en, article=v.article)
        for v in violations
    ]


def _wanted(session: Session, new_rows: dict[UUID, dict[str, Any]], events: Sequence[CheckinEvent]) -> WantedNumbers:
    """The list entries of new check-ins' card holders (or ID numbers read) where the terminal found no hit."""
    rows = [new_rows[e.event_id] for e in events if e.event_id in new_rows and e.face.watchlist.hit is None]
    guard_ids = {row["guard_id"] for row in rows if row["guard_id"] is not None}
    hashes = {row["card_id_number_hash"] for row in rows if row["guard_id"] is None and row["card_id_number_hash"]}
    return read_wanted(session, guard_ids, hashes)


def record_event(
    engine: Engine,
    event: CheckinEvent,
    *,
    data_dir: Path,
    default_jurisdiction: str,
    public_url: str | None = None,
    clock_margin_s: float = DEFAULT_MARGIN_S,
    photo_store: PhotoStore | None = None,
) -> Recorded:
    """Store ``event`` once; raises SQLAlchemyError / OSError when nothing could be committed."""
    return record_events(
        engine, [event], data_dir=data_dir, default_jurisdiction=default_jurisdiction, public_url=public_url,
        clock_margin_s=clock_margin_s, photo_store=photo_store,
    )[0]  # fmt: skip


def record_events(
    engine: Engine,
    events: Sequence[CheckinEvent],
    *,
    data_dir: Path,
    default_jurisdiction: str,
    public_url: str | None = None,
    clock_margin_s: float = DEFAULT_MARGIN_S,
    photo_store: PhotoStore | None = None,
) -> list[Recorded]:
    """Store each event once, all in one transaction; one Recorded per distinct event id, in order.

    Photos go to ``photo_store`` (files under ``data_dir`` when None), durably and
    together, before the commit, so a committed
    check-in always has its photo. A copy of a stored event adds nothing; one with
    other content (``CheckinEvent.content_hash``) is dead-lettered as a conflict.
    An event whose time the terminal's clock cannot vouch for gets ``CLOCK_SKEW``
    (``central.checkins.clock``). Raises SQLAlchemyError / OSError when nothing was
    committed; then no event of the batch may be receipted.
    """
    received_at = utcnow()
    unique = list({event.event_id: event for event in events}.values())  # a batch may hold a re-delivery
    alerts: dict[UUID, Alert] = {}
    violations: dict[UUID, tuple[str, ...]] = {}
    with Session(engine) as session:
        stored = _stored_hashes(session, [e.event_id for e in unique])
        conflicts = {
            e.event_id for e in unique if e.event_id in stored and stored[e.event_id] not in (None, e.content_hash())
        }
        for event in unique:
            if event.event_id in conflicts:
                session.add(_conflict_letter(event, stored[event.event_id]))
        fresh = [e for e in unique if e.event_id not in stored]  # a copy of a stored event writes no photo
        photos = _store_photos(photo_store or FilePhotoStore(data_dir), fresh, session)
        snapshots = dict(zip([e.event_id for e in fresh], build_snapshots(session, fresh), strict=True))
        dialect = session.get_bind().dialect
        cipher = functools.partial(cipher_for, dialect)  # asked for only when an event carries an ID number
        rows = [_checkin_row(event, snapshots[event.event_id], photos[event.event_id], cipher) for event in fresh]
        added = _insert_checkins(session, rows) if rows else set()
        new_rows = {row["event_id"]: row for row in rows if row["event_id"] in added}
        wanted = _wanted(session, new_rows, fresh)
        for event in fresh:
            if event.event_id not in added:
                continue
            found = evaluate(event, snapshots[event.event_id])
            skew = clock_violation(event, received_at, clock_margin_s)
            if skew is not None:
                found.append(skew)
            violations[event.event_id] = tuple(v.code for v in found)
            row = new_rows[event.event_id]
            session.add_all(_violation_rows(row, found))
            on_list = wanted.of(row["guard_id"], row["card_id_number_hash"])
            alert = new_alert(session, event, snapshots[event.event_id], default_jurisdiction, on_list)
            if alert is not None:
                session.add(alert)
                alerts[event.event_id] = alert
        session.commit()
        messages = {event_id: police_message(session, a, public_url) for event_id, a in alerts.items()}
    _touch_terminals(engine, {event.terminal_id for event in unique})
    return [
        Recorded(e.event_id, e.event_id in added, violations.get(e.event_id, ()), messages.get(e.event_id),
                 conflict=e.event_id in conflicts)
        for e in unique
    ]  # fmt: skip


def _stored_hashes(session: Session, event_ids: list[UUID]) -> dict[UUID, str | None]:
    """The content hash of each of these events already stored (None for one stored before hashes)."""
    query = select(CheckinClaim.event_id, CheckinClaim.content_hash).where(col(CheckinClaim.event_id).in_(event_ids))
    return dict(session.exec(query).all())


def _conflict_letter(event: CheckinEvent, stored: str | None) -> DeadLetter:
    """A copy of a stored event id with other content: kept for an administrator, never stored as a check-in."""
    received = event.content_hash()
    logger.warning("event %s conflicts with the stored one: content %s, stored %s", event.event_id, received, stored)
    reason = (
        f"conflict: event {event.event_id} is stored with content sha256 {stored}; this copy has {received} "
        f"/ 冲突：同一事件编号已存有不同内容"
    )
    return DeadLetter(topic=topics.event_topic(event.terminal_id), payload=mask_payload(event.to_json()),
                      reason=reason, event_id=str(event.event_id))  # fmt: skip


def _touch_terminals(engine: Engine, terminal_ids: Iterable[str]) -> None:
    """Record that central heard from these terminals (their events count as signs of life).

    Outside the events' transaction: it is not worth failing a batch of check-ins for.
    """
    ids = sorted(terminal_ids)
    try:
        with Session(engine) as session:
            session.exec(update(Terminal).where(col(Terminal.id).in_(ids)).values(last_seen_at=utcnow()))
            session.commit()
    except SQLAlchemyError:
        logger.warning("last-seen time of %d terminals not updated", len(ids), exc_info=True)


def record_dead_letter(engine: Engine, topic: str, payload: bytes, reason: str, event_id: str | None) -> None:
    """Keep a payload central could not accept, with the reason, for later inspection; ID numbers masked."""
    kept = DeadLetter(topic=topic, payload=mask_payload(payload), reason=mask_numbers(reason), event_id=event_id)
    with Session(engine) as session:
        session.add(kept)
        session.commit()
