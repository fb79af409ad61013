"""Watchlist updates from central to terminals, on ``guardpost/v1/t/{terminal}/cmd`` (QoS 1), signed.

Two messages, told apart by ``schema``:

- ``WatchlistUpdate``: ``full`` (the whole list; replaces what the terminal holds) or
  ``incremental`` (``base_version`` -> ``version``: entries added or replaced, with their
  templates, and entry ids removed). Templates are base64 of 128 little-endian float32,
  never images (人脸识别技术应用安全管理办法, 2025).
- ``WatchlistAnnounce``: central's current version and when it was confirmed, so that a
  terminal can tell it is behind, and that a list with no changes is still current.

Both carry an Ed25519 signature (central holds the private key, terminals the public key)
over a canonical encoding: the JSON object without its ``signature`` member, keys sorted,
separators ``,`` and ``:``, non-ASCII kept, UTF-8. The messages hold no floats (templates are
base64), so both sides produce the same bytes from the same object. The terminal verifies
the raw JSON object before it interprets any field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.checkin import ProtocolError

UPDATE_SCHEMA = "guardpost.watchlist_update/1"
ANNOUNCE_SCHEMA = "guardpost.watchlist_announce/1"
TEMPLATE_BYTES = 128 * 4  # SFace: 128 little-endian float32


class SignatureError(ProtocolError):
    """A watchlist message that is unsigned, signed by another key, or altered after signing."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class UpdateEntry(_Wire):
    entry_id: Annotated[str, Field(min_length=1, max_length=32)]
    name: str
    id_number: str | None = None
    note: str = ""
    templates: list[str]  # base64 of TEMPLATE_BYTES; empty for an entry matched on its ID number only


class WatchlistUpdate(_Wire):
    schema_: Literal["guardpost.watchlist_update/1"] = Field(default="guardpost.watchlist_update/1", alias="schema")
    kind: Literal["full", "incremental"]
    base_version: str | None = None  # the version an incremental update applies to; None for full
    version: Annotated[str, Field(min_length=1, max_length=64)]
    issued_at: AwareDatetime
    model: str  # face model of the templates (shared.face.MODEL_ID)
    upserts: list[UpdateEntry] = []
    removed: list[str] = []
    key_id: str
    signature: str

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.kind == "incremental" and not self.base_version:
            raise ValueError("an incremental update needs base_version")
        if self.kind == "full" and (self.base_version is not None or self.removed):
            raise ValueError("a full update has no base_version and removes nothing")
        return self


class WatchlistAnnounce(_Wire):
    schema_: Literal["guardpost.watchlist_announce/1"] = Field(default="guardpost.watchlist_announce/1", alias="schema")
    version: Annotated[str, Field(min_length=1, max_length=64)]
    issued_at: AwareDatetime  # when central confirmed that this is its current version
    key_id: str
    signature: str


WatchlistMessage = WatchlistUpdate | WatchlistAnnounce


def canonical_bytes(raw: Mapping[str, Any]) -> bytes:
    """The signed bytes of a message object: everything but ``signature``, canonically encoded."""
    body = {key: value for key, value in raw.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint naming the key pair: the first 16 hex digits of sha256 of the raw key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(body: Mapping[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """The payload to publish: ``body`` (JSON-ready, no floats) with ``key_id`` and ``signature`` added."""
    raw = {**body, "key_id": key_id(private_key.public_key())}
    signature = private_key.sign(canonical_bytes(raw))
    raw["signature"] = base64.b64encode(signature).decode("ascii")
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def schema_of(payload: bytes) -> str | None:
    """The ``schema`` of a JSON command, or None when the payload is not a JSON object."""
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return raw.get("schema") if isinstance(raw, dict) else None


def verify(payload: bytes, public_key: Ed25519PublicKey) -> WatchlistMessage:
    """Check the signature, then parse; raises SignatureError, or ProtocolError when malformed."""
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"watchlist message is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("signature"), str):
        raise SignatureError("watchlist message without a signature")
    if raw.get("key_id") != key_id(public_key):
        raise SignatureError(f"signed by key {raw.get('key_id')!r}, this terminal trusts {key_id(public_key)}")
    try:
        public_key.verify(base64.b64decode(raw["signature"], validate=True), canonical_bytes(raw))
    except (InvalidSignature, binascii.Error) as exc:
        raise SignatureError("watchlist message signature does not verify") from exc
    model = WatchlistUpdate if raw.get("schema") == UPDATE_SCHEMA else WatchlistAnnounce
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError(f"malformed watchlist message: {exc}") from exc


def encode_template(data: bytes) -> str:
    if len(data) != TEMPLATE_BYTES:
        raise ValueError(f"template of {len(data)} bytes, expected {TEMPLATE_BYTES}")
    return base64.b64encode(data).decode("ascii")


def decode_template(text: str) -> bytes:
    """The raw little-endian float32 bytes of a template; ValueError when malformed."""
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"template is not base64: {exc}") from exc
    if len(data) != TEMPLATE_BYTES:
        raise ValueError(f"template of {len(data)} bytes, expected {TEMPLATE_BYTES}")
    return data
