"""The watchlist editor: add, change and remove wanted persons, and push the list to terminals.

Scoped like ``central.alerts.queries``: the police edit the entries of their own
jurisdiction and push to the terminals at its sites; the administrator edits
any entry and pushes to every terminal. Each change is one revision of the list
(``central.watchlist.store``), so terminals get it as an incremental update, and
each change and push is written to the audit log with who and when.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select

from central.access.scope import Scope
from central.db import sealing as id_protect
from central.errors import DomainError
from central.faces import MAX_PHOTO_BYTES, NOT_AN_IMAGE, PhotoRefused
from central.paging import Paged, Paging
from central.registry.models import Terminal
from central.watchlist import queries as watchlist_queries
from central.watchlist.faces import enrol
from central.watchlist.models import WatchlistEntry
from central.watchlist.portraits import Portraits
from central.watchlist.store import current_revision, ensure_revision, remove_entry, save_entry, template_counts
from central.watchlist.sync import WatchlistSyncError, load_private_key, push, terminal_states
from protocol.id_number import check as check_id_number
from protocol.mqtt import MqttSettings

logger = logging.getLogger(__name__)

KEY_ENV = "GUARDPOST_WATCHLIST_KEY"  # the signing key's file, as for `guardpost watchlist push`
MAX_PHOTOS = 5
# A citizen identity number, checked (GB 11643) and normalised; the old 15-digit form becomes 18 digits.
IdNumber = Annotated[str, Field(max_length=32), AfterValidator(check_id_number)]
PhotoText = Annotated[str, Field(min_length=1, max_length=MAX_PHOTO_BYTES * 4 // 3 + 4, description="base64")]
# One publishing MQTT client per process at a time: its client id is per process, and a second
# connection with the same id would make the broker drop the first.
_push_lock = threading.Lock()


class EditorError(DomainError):
    """A change or push that cannot be made; its status is the HTTP status the API answers with."""

    code = "watchlist.refused"


class EditorForbidden(EditorError):
    status = 403
    code = "watchlist.forbidden"


class EditorConflict(EditorError):
    status = 409
    code = "watchlist.conflict"


class Unprocessable(EditorError):
    status = 422
    code = "watchlist.invalid"


class NotDelivered(EditorError):
    status = 502
    code = "watchlist.not_delivered"


class NotConfigured(EditorError):
    # A 4xx: the request is sound but central is not set up for it (a 5xx would say central broke).
    status = 409
    code = "watchlist.not_configured"


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(min_length=1, max_length=64)
    name_en: str = Field(default="", max_length=128)
    id_number: IdNumber | None = None
    notes: str = Field(default="", max_length=500)
    jurisdiction: str | None = Field(default=None, min_length=1, max_length=32, description="administrator only")
    photos: list[PhotoText] = Field(min_length=1, max_length=MAX_PHOTOS, description="JPEG or PNG, base64")


class EntryUpdate(BaseModel):
    """Only the fields sent are changed; ``photos`` replace all of the entry's templates."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(default="", min_length=1, max_length=64)
    name_en: str = Field(default="", max_length=128)
    id_number: IdNumber | None = None
    notes: str = Field(default="", max_length=500)
    jurisdiction: str = Field(default="", min_length=1, max_length=32, description="administrator only")
    photos: list[PhotoText] = Field(default_factory=list, min_length=1, max_length=MAX_PHOTOS)


class EditorEntry(BaseModel):
    id: str
    name_zh: str
    name_en: str
    id_number: str | None
    jurisdiction: str
    notes: str
    templates: int
    photo_url: str | None


class EntryChange(BaseModel):
    version: str  # the list's version after the change
    entry: EditorEntry | None  # None after a removal
    changed: list[str] = []  # the fields an update changed ("photos" when they were replaced)


class TerminalState(BaseModel):
    terminal_id: str
    site_id: str
    site_name_zh: str
    reported_version: str | None
    pushed_version: str | None
    last_seen_at: datetime | None
    state: str  # central's judgement: current | behind | needs_full | unreported | no_list
    reported_stale: str | None = None  # the terminal's own: None when current, else needs_full / behind / too_old


class SyncStatus(BaseModel):
    version: str | None
    issued_at: datetime | None
    entries: int
    terminals: list[TerminalState]


class PushSent(BaseModel):
    terminal_id: str
    kind: str  # full | incremental | announce
    from_version: str | None


class PushResult(BaseModel):
    version: str
    sent: list[PushSent]


def entries(session: Session, scope: Scope, portraits: Portraits, paging: Paging) -> Paged[EditorEntry]:
    listed = watchlist_queries.list_watchlist(session, scope, portraits, paging)
    counts = template_counts(session, [e.id for e in listed.rows])
    return listed.map(lambda e: EditorEntry.model_validate(e.model_dump() | {"templates": counts[e.id]}))


def _editor_entry(session: Session, entry: WatchlistEntry, portraits: Portraits) -> EditorEntry:
    public = watchlist_queries.watchlist_public(entry, bool(portraits.present([entry.id]))).model_dump()
    return EditorEntry.model_validate(public | {"templates": template_counts(session, [entry.id])[entry.id]})


def _jurisdiction(scope: Scope, wanted: str | None) -> str:
    if scope.is_police:
        if wanted not in (None, scope.jurisdiction):
            raise EditorForbidden("只能登记本辖区的人员 / police add entries to their own jurisdiction only")
        assert scope.jurisdiction is not None
        return scope.jurisdiction
    if not wanted:
        raise Unprocessable("请填写辖区 / jurisdiction is required")
    return wanted


def _photos(texts: list[str]) -> list[bytes]:
    photos = []
    for index, text in enumerate(texts, start=1):
        try:
            photos.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise Unprocessable(str(PhotoRefused(index, NOT_AN_IMAGE))) from None
    return photos


def _templates(texts: list[str]) -> tuple[tuple[bytes, ...], bytes]:
    try:
        enrolled = enrol(_photos(texts))
    except PhotoRefused as exc:
        raise Unprocessable(str(exc)) from None
    return enrolled.templates, enrolled.portrait_jpeg


def _refuse_duplicate(session: Session, number: str | None, own_id: str | None) -> None:
    """One entry per ID number; found by its keyed hash (the stored number is sealed)."""
    if number is None:
        return
    digest = id_protect.lookup_hash(session.get_bind(), number)
    other = session.exec(select(WatchlistEntry.id).where(WatchlistEntry.id_number_hash == digest)).first()
    if other is not None and other != own_id:
        raise EditorConflict(f"该身份证号已在名单中 / this ID number is already listed ({other})")


def _new_id(session: Session) -> str:
    while True:
        entry_id = f"W-{secrets.token_hex(5).upper()}"
        if session.get(WatchlistEntry, entry_id) is None:
            return entry_id


def add(session: Session, scope: Scope, portraits: Portraits, new: EntryCreate) -> EntryChange:
    """A new entry with a template per photo; Unprocessable names the first photo without a usable face."""
    jurisdiction = _jurisdiction(scope, new.jurisdiction)
    number = id_protect.normalise(new.id_number) if new.id_number else None
    _refuse_duplicate(session, number, None)
    templates, portrait = _templates(new.photos)
    entry = WatchlistEntry(id=_new_id(session), name_zh=new.name_zh, name_en=new.name_en, id_number=number,
                           jurisdiction=jurisdiction, notes=new.notes)  # fmt: skip
    revision = save_entry(session, entry, templates)
    portraits.save(entry.id, portrait)
    logger.info("watchlist entry %s added by %s: version %s", entry.id, scope.actor, revision.version)
    return EntryChange(version=revision.version, entry=_editor_entry(session, entry, portraits))


def update(
    session: Session, scope: Scope, portraits: Portraits, entry: WatchlistEntry, change: EntryUpdate
) -> EntryChange:
    """Change the fields sent; new photos replace the entry's templates and its photo."""
    fields = change.model_dump(exclude_unset=True, exclude={"photos"})
    if not fields and "photos" not in change.model_fields_set:
        raise Unprocessable("没有要修改的内容 / nothing to change")
    if "jurisdiction" in fields:
        fields["jurisdiction"] = _jurisdiction(scope, fields["jurisdiction"])
    if fields.get("id_number"):
        fields["id_number"] = id_protect.normalise(fields["id_number"])
        _refuse_duplicate(session, fields["id_number"], entry.id)
    templates, portrait = _templates(change.photos) if "photos" in change.model_fields_set else (None, b"")
    entry.sqlmodel_update(fields)
    revision = save_entry(session, entry, templates)
    if templates is not None:
        portraits.save(entry.id, portrait)
    changed = sorted(fields) + (["photos"] if templates is not None else [])
    logger.info("watchlist entry %s changed by %s: version %s", entry.id, scope.actor, revision.version)
    return EntryChange(version=revision.version, entry=_editor_entry(session, entry, portraits), changed=changed)


def remove(session: Session, scope: Scope, portraits: Portraits, entry: WatchlistEntry) -> EntryChange:
    entry_id = entry.id
    revision = remove_entry(session, entry_id)
    portraits.remove(entry_id)
    logger.info("watchlist entry %s removed by %s: version %s", entry_id, scope.actor, revision.version)
    return EntryChange(version=revision.version, entry=None)


def _jurisdiction_filter(scope: Scope) -> str | None:
    return scope.jurisdiction if scope.is_police else None


def sync_status(session: Session, scope: Scope) -> SyncStatus:
    """Central's version and, per terminal of the jurisdiction (all, for the administrator), where it stands."""
    revision = current_revision(session)
    count = session.exec(
        select(func.count(col(WatchlistEntry.id))).where(watchlist_queries.watchlist_scope(scope))
    ).one()
    states = terminal_states(session, _jurisdiction_filter(scope))
    stale = _reported_stale(session, [s.terminal_id for s in states])
    return SyncStatus(
        version=revision.version if revision else None,
        issued_at=revision.issued_at if revision else None,
        entries=int(count),
        terminals=[
            TerminalState.model_validate(s, from_attributes=True).model_copy(
                update={"reported_stale": stale.get(s.terminal_id)}
            )
            for s in states
        ],
    )


def _reported_stale(session: Session, terminal_ids: list[str]) -> dict[str, str | None]:
    """What each terminal last said of its own list: it alone knows a list too old to use (too_old)."""
    query = select(Terminal.id, Terminal.watchlist_stale).where(col(Terminal.id).in_(terminal_ids))
    return dict(session.exec(query).all())


def push_to_terminals(
    session: Session, scope: Scope, mqtt: MqttSettings, *, full: bool, timeout_s: float, key_path: Path | None = None
) -> PushResult:
    """Sign and publish to the terminals of the jurisdiction: incremental from each one's version when known.

    ``key_path``: central's signing key (``signing_key_file``; the demo makes one), else the file named by KEY_ENV.
    """
    revision = ensure_revision(session)
    if revision is None:
        raise EditorConflict("中心尚无布控名单 / central holds no watchlist yet: add an entry first")
    path = key_path or (Path(named) if (named := os.environ.get(KEY_ENV)) else None)
    if path is None:
        raise NotConfigured(
            "未配置签名私钥，无法下发 / no signing key configured: "
            f"set signing_key_file or {KEY_ENV} (docs/watchlist.md)"
        )
    try:
        key = load_private_key(path)
    except (OSError, ValueError, TypeError) as exc:
        raise NotConfigured(f"无法加载签名私钥 / cannot load the signing key {path}: {exc}") from exc
    states = terminal_states(session, _jurisdiction_filter(scope))
    try:
        with _push_lock:
            kinds = push(session, key, mqtt, {s.terminal_id: s.known_version for s in states},
                         full=full, timeout_s=timeout_s)  # fmt: skip
    except WatchlistSyncError as exc:
        logger.warning("watchlist push by %s failed: %s", scope.actor, exc)
        raise NotDelivered(f"未能下发 / not delivered: {exc}") from exc
    sent = [PushSent(terminal_id=s.terminal_id, kind=kinds[s.terminal_id], from_version=s.known_version)
            for s in states]  # fmt: skip
    return PushResult(version=revision.version, sent=sent)
