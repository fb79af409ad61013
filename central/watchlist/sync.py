"""Central side of watchlist updates: the signing key, signed full / incremental updates, publishing.

Owns building the messages of ``protocol.watchlist_update`` from the tables of
``central.watchlist.store`` and publishing them on each terminal's ``.../cmd`` topic
(QoS 1). The private key lives in one file readable only by central's user; terminals
are configured with the public key (docs/watchlist.md). Also where each terminal stands
(``terminal_states``) and a push to a set of terminals (``push``), for the editor page.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from sqlmodel import Session, col, select

from central.db.types import utcnow
from central.registry.models import Site, Terminal
from central.watchlist.store import (
    ListedEntry,
    changed_since,
    current_revision,
    known_versions,
    last_push,
    listed_entries,
    record_push,
)
from protocol import topics
from protocol.mqtt import MqttSettings, connect_async, create_client, reason_ok
from protocol.signed import encode_template, sign
from protocol.watchlist_update import ANNOUNCE_SCHEMA, UPDATE_SCHEMA

logger = logging.getLogger(__name__)

# The face model of the templates central holds and sends (shared.face.MODEL_ID, repeated so that
# signing and publishing do not load the face models). Import files must name the same model.
TEMPLATE_MODEL = "sface_2021dec_int8bq"


class WatchlistSyncError(Exception):
    """Nothing to send (no revision yet), or publishing failed."""


def generate_keys(private_path: Path, public_path: Path) -> None:
    """A new Ed25519 key pair: the private key PEM created with mode 0600, the public key PEM beside."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_path.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The signing key; the PEM may be encrypted with GUARDPOST_WATCHLIST_KEY_PASSWORD."""
    password = os.environ.get("GUARDPOST_WATCHLIST_KEY_PASSWORD")
    key = load_pem_private_key(Path(path).read_bytes(), password.encode() if password else None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _wire_entry(listed: ListedEntry) -> dict[str, Any]:
    entry = listed.entry
    return {
        "entry_id": entry.id,
        "name": entry.name_zh,
        "id_number": entry.id_number,
        "note": entry.notes,
        "templates": [encode_template(t) for t in listed.templates],
    }


def _body(kind: Literal["full", "incremental"], base: str | None, session: Session) -> dict[str, Any]:
    revision = current_revision(session)
    if revision is None:
        raise WatchlistSyncError("中心尚无布控名单 / central holds no watchlist yet: import one first")
    return {
        "schema": UPDATE_SCHEMA,
        "kind": kind,
        "base_version": base,
        "version": revision.version,
        "issued_at": revision.issued_at.isoformat(),
        "model": TEMPLATE_MODEL,
        "upserts": [],
        "removed": [],
    }


def build_full(session: Session, key: Ed25519PrivateKey) -> bytes:
    """The whole list as central holds it now, signed."""
    body = _body("full", None, session)
    body["upserts"] = [_wire_entry(e) for e in listed_entries(session)]
    return sign(body, key)


def build_incremental(session: Session, key: Ed25519PrivateKey, base_version: str) -> bytes | None:
    """The changes since ``base_version``, signed; None when central does not know that version."""
    changed = changed_since(session, base_version)
    if changed is None:
        return None
    body = _body("incremental", base_version, session)
    listed = listed_entries(session, changed)
    body["upserts"] = [_wire_entry(e) for e in listed]
    body["removed"] = sorted(changed - {e.entry.id for e in listed})
    return sign(body, key)


def build_announce(session: Session, key: Ed25519PrivateKey) -> bytes:
    """Central's current version, confirmed now (so a terminal holding it is not stale)."""
    revision = current_revision(session)
    if revision is None:
        raise WatchlistSyncError("中心尚无布控名单 / central holds no watchlist yet: import one first")
    return sign({"schema": ANNOUNCE_SCHEMA, "version": revision.version, "issued_at": utcnow().isoformat()}, key)


def build_for(session: Session, key: Ed25519PrivateKey, terminal_version: str | None) -> tuple[str, bytes]:
    """What a terminal holding ``terminal_version`` needs: ("announce" | "incremental" | "full", payload)."""
    revision = current_revision(session)
    if revision is not None and terminal_version == revision.version:
        return "announce", build_announce(session, key)
    if terminal_version is not None:
        payload = build_incremental(session, key, terminal_version)
        if payload is not None:
            return "incremental", payload
    return "full", build_full(session, key)


def publish(settings: MqttSettings, payloads: Mapping[str, bytes], timeout_s: float = 30.0) -> None:
    """Publish each terminal's payload on its ``cmd`` topic at QoS 1 and wait for the broker's PUBACK."""
    # A one-off client: no session to keep on the broker after it leaves.
    settings = settings.model_copy(update={"session_expiry_s": 0})
    client = create_client(settings, client_id=f"central-watchlist-{os.getpid()}")
    connected = threading.Event()
    client.on_connect = lambda c, u, f, reason_code, p: connected.set() if reason_ok(reason_code) else None
    connect_async(client, settings)
    client.loop_start()
    try:
        if not connected.wait(timeout_s):
            raise WatchlistSyncError(f"无法连接 / broker {settings.host}:{settings.port} not reached in {timeout_s} s")
        for terminal_id, payload in payloads.items():
            info = client.publish(topics.cmd_topic(terminal_id), payload, qos=1)
            info.wait_for_publish(timeout=timeout_s)
            if not info.is_published():
                raise WatchlistSyncError(f"发布失败 / not published to {terminal_id} within {timeout_s} s")
            logger.info("command sent to %s (%d bytes)", terminal_id, len(payload))
    finally:
        client.disconnect()
        client.loop_stop()


# --- where the terminals stand, and a push to some of them ---------------------------------


@dataclass(frozen=True, slots=True)
class TerminalSync:
    """A terminal's list as central knows it: reported in its status, and last sent to it."""

    terminal_id: str
    site_id: str
    site_name_zh: str
    reported_version: str | None
    pushed_version: str | None
    last_seen_at: datetime | None
    # current | behind (an incremental update applies) | needs_full (a version central never
    # issued) | unreported (no status with a version yet) | no_list (central holds no list)
    state: str

    @property
    def known_version(self) -> str | None:
        """What an update is built from: the reported version, else the one last sent."""
        return self.reported_version or self.pushed_version


def _state(reported: str | None, current: str | None, known: set[str]) -> str:
    if current is None:
        return "no_list"
    if reported is None:
        return "unreported"
    if reported == current:
        return "current"
    return "behind" if reported in known else "needs_full"


def terminal_states(session: Session, jurisdiction: str | None) -> list[TerminalSync]:
    """The terminals at the sites of ``jurisdiction`` (all terminals for None), by id."""
    query = select(Terminal, Site).join(Site, col(Terminal.site_id) == col(Site.id)).order_by(col(Terminal.id))
    if jurisdiction is not None:
        query = query.where(Site.jurisdiction == jurisdiction)
    revision = current_revision(session)
    current = revision.version if revision else None
    known = known_versions(session)
    return [
        TerminalSync(
            terminal_id=terminal.id,
            site_id=site.id,
            site_name_zh=site.name_zh,
            reported_version=terminal.watchlist_version,
            pushed_version=last_push(session, terminal.id),
            last_seen_at=terminal.last_seen_at,
            state=_state(terminal.watchlist_version, current, known),
        )
        for terminal, site in session.exec(query).all()
    ]


def push(
    session: Session,
    key: Ed25519PrivateKey,
    settings: MqttSettings,
    terminals: Mapping[str, str | None],
    *,
    full: bool = False,
    timeout_s: float = 30.0,
) -> dict[str, str]:
    """Send each terminal (id -> version it holds) what it needs, and record it; id -> kind sent.

    Raises WatchlistSyncError when central holds no list or the broker does not take the messages.
    """
    revision = current_revision(session)
    if revision is None:
        raise WatchlistSyncError("中心尚无布控名单 / central holds no watchlist yet: add an entry first")
    built: dict[str | None, tuple[str, bytes]] = {}  # terminals holding the same version get the same message
    kinds: dict[str, str] = {}
    payloads: dict[str, bytes] = {}
    for terminal_id, version in terminals.items():
        base = None if full else version
        if base not in built:
            built[base] = build_for(session, key, base)
        kinds[terminal_id], payloads[terminal_id] = built[base]
    if payloads:
        publish(settings, payloads, timeout_s)
    for terminal_id in payloads:
        record_push(session, terminal_id, revision.version)
    return kinds
