"""Watchlist updates from central to terminals, on ``guardpost/v1/t/{terminal}/cmd`` (QoS 1), signed.

Two messages, told apart by ``schema``:

- ``WatchlistUpdate``: ``full`` (the whole list; replaces what the terminal holds) or
  ``incremental`` (``base_version`` -> ``version``: entries added or replaced, with their
  templates, and entry ids removed). Templates are base64 of 128 little-endian float32,
  never images (人脸识别技术应用安全管理办法, 2025).
- ``WatchlistAnnounce``: central's current version and when it was confirmed, so that a
  terminal can tell it is behind, and that a list with no changes is still current.

Both are signed commands (``protocol.signed``: Ed25519 over canonical JSON), verified
before any field is read.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.checkin import ProtocolError
from protocol.signed import verified_object

UPDATE_SCHEMA = "guardpost.watchlist_update/1"
ANNOUNCE_SCHEMA = "guardpost.watchlist_announce/1"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class UpdateEntry(_Wire):
    entry_id: Annotated[str, Field(min_length=1, max_length=32)]
    name: str
    id_number: str | None = None
    note: str = ""
    templates: list[str]  # base64 of protocol.signed.TEMPLATE_BYTES; empty for an entry matched on its ID number only


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


def verify(payload: bytes, public_key: Ed25519PublicKey) -> WatchlistMessage:
    """Check the signature, then parse; raises SignatureError, or ProtocolError when malformed."""
    raw = verified_object(payload, public_key)
    model = WatchlistUpdate if raw.get("schema") == UPDATE_SCHEMA else WatchlistAnnounce
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError(f"malformed watchlist message: {exc}") from exc
