"""The terminal roster from central (``guardpost.roster_update/1``): who may check in at one terminal.

For each guard central expects at the terminal's site (the contracted companies'
guards, the managing unit's own guards, guards rostered on its shifts) the
message carries the keys a tap of any of the guard's cards is found under
(``protocol.cards.lookup_keys``), the guard's face templates (base64 of 128
little-endian float32, never images), and the credential verdict as of the
local day ``on``: the refusals (certificate revoked or missing, barred, employer
unlicensed, no contract, level too low, ...) the terminal tells the guard in the
same tap, also offline. Central's rules stay authoritative: the receipt of each
event carries central's own verdict.

``full`` replaces what the terminal holds; ``incremental`` applies to
``base_version`` only. Each update also carries, whole, the settings central
manages for the terminal (``TerminalOverrides``: face thresholds, the repeat
window); what it leaves out keeps the terminal's own configuration. Each
message names its terminal, so a roster signed for one terminal is refused by
another. Signed like every command (``protocol.signed``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.checkin import ProtocolError
from protocol.signed import verified_object

UPDATE_SCHEMA = "guardpost.roster_update/1"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Refusal(_Wire):
    """Why the guard may not go on duty here today, in the words the terminal says."""

    code: Annotated[str, Field(min_length=1, max_length=40)]
    message_zh: str
    message_en: str


class RosterGuard(_Wire):
    guard_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: str
    employer: str = ""  # the employer's name on ``on``
    card_keys: list[str]  # protocol.cards lookup keys of every card the guard holds on ``on``
    templates: list[str] = []  # base64 face templates; empty when none are enrolled centrally
    fingerprints: list[Annotated[str, Field(max_length=2048)]] = []  # base64 module templates (R30x: 512 bytes)
    level: int | None = None
    certificate: Literal["valid", "revoked", "none"]
    refusals: list[Refusal] = []  # empty: the guard may go on duty here on ``on``


class TerminalOverrides(_Wire):
    """Settings central may change on a terminal; an absent one keeps the terminal's own configuration."""

    verify_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # 1:1 card holder
    watchlist_threshold: float | None = Field(default=None, ge=0.3, le=1.0)  # 1:N; never below 0.3 (floods police)
    repeat_window_s: float | None = Field(default=None, ge=0.0, le=600.0)
    # The site's check at the tap: card + face, card + fingerprint, or card + either (the fingerprint
    # asked for when the face does not confirm the card holder). None: card + face.
    check_policy: Literal["face", "fingerprint", "either"] | None = None


class RosterUpdate(_Wire):
    schema_: Literal["guardpost.roster_update/1"] = Field(default="guardpost.roster_update/1", alias="schema")
    kind: Literal["full", "incremental"]
    terminal_id: Annotated[str, Field(min_length=1, max_length=64)]
    site_id: str
    on: date  # the local day the verdicts are for
    base_version: str | None = None
    version: Annotated[str, Field(min_length=1, max_length=64)]
    issued_at: AwareDatetime
    model: str  # face model of the templates
    upserts: list[RosterGuard] = []
    removed: list[str] = []  # guard ids
    settings: TerminalOverrides = TerminalOverrides()  # in every update, whole: what central sets now
    key_id: str
    signature: str

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.kind == "incremental" and not self.base_version:
            raise ValueError("an incremental roster update needs base_version")
        if self.kind == "full" and (self.base_version is not None or self.removed):
            raise ValueError("a full roster update has no base_version and removes nothing")
        return self


def verify(payload: bytes, public_key: Ed25519PublicKey) -> RosterUpdate:
    """Check the signature, then parse; raises SignatureError, or ProtocolError when malformed."""
    raw = verified_object(payload, public_key)
    if raw.get("schema") != UPDATE_SCHEMA:
        raise ProtocolError(f"expected {UPDATE_SCHEMA}, got {raw.get('schema')!r}")
    try:
        return RosterUpdate.model_validate(raw)
    except ValidationError as exc:
        raise ProtocolError(f"malformed roster update: {exc}") from exc
