"""The check-in event (``guardpost.checkin/1``), minted on the terminal at each tap.

Field-by-field documentation lives in docs/protocol.md. ``event_id`` is the
idempotency key end to end; ``seq`` orders a terminal's events.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

import pybase64
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

SCHEMA: Literal["guardpost.checkin/1"] = "guardpost.checkin/1"
MAX_EVENT_BYTES = 2 * 1024 * 1024


class ProtocolError(ValueError):
    """A payload that is not a valid check-in event; carries a reason for the dead-letter table."""


class UnknownSchemaError(ProtocolError):
    """A payload of another schema family or an unknown major version."""


class CardKind(StrEnum):
    MIFARE = "mifare"  # ISO 14443A UID read by a PN532
    EM4100 = "em4100"  # 125 kHz
    ASCII = "ascii"  # ASCII-line reader, UID as configured
    WIEGAND26 = "wiegand26"
    WIEGAND34 = "wiegand34"
    RESIDENT_ID = "resident_id"  # 二代证: uid is the ID number


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class FaceStatus(StrEnum):
    """Outcome of the face pipeline; anything but OK means no biometric decision."""

    OK = "OK"
    NO_FACE = "NO_FACE"
    MULTIPLE_FACES = "MULTIPLE_FACES"
    FACE_TOO_SMALL = "FACE_TOO_SMALL"
    BLURRED = "BLURRED"
    TOO_DARK = "TOO_DARK"
    NOT_FRONTAL = "NOT_FRONTAL"
    PHOTO_MISSING = "PHOTO_MISSING"  # the camera gave no frame


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SEE_SUPERVISOR = "see_supervisor"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdCardFields(_Wire):
    """Decoded text of a resident ID card (二代证)."""

    name: str
    sex: str
    ethnicity: str
    birth_date: date
    address: str
    id_number: str
    issuer: str
    valid_from: str
    valid_to: str


class Card(_Wire):
    kind: CardKind
    uid: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Z]+$")]
    id_card: IdCardFields | None = None


class Photo(_Wire):
    content_type: Literal["image/jpeg"] = "image/jpeg"
    data_b64: str
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    # Kept by jpeg() with what it was checked against: 85 kB of base64 is decoded and hashed once.
    _decoded: tuple[str, str, bytes] | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:  # the fields: whether jpeg() was asked for yet is no difference
        return isinstance(other, Photo) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(tuple(self.__dict__.values()))

    @classmethod
    def from_jpeg(cls, jpeg: bytes, width: int, height: int) -> Photo:
        return cls(
            data_b64=pybase64.b64encode(jpeg).decode("ascii"),
            sha256=hashlib.sha256(jpeg).hexdigest(),
            width=width,
            height=height,
        )

    def jpeg(self) -> bytes:
        """The decoded JPEG; raises ProtocolError if it does not match ``sha256``."""
        if self._decoded is not None and self._decoded[0] is self.data_b64 and self._decoded[1] == self.sha256:
            return self._decoded[2]  # a model_copy with other data or hash is checked afresh
        try:
            # SIMD and strict (alphabet and padding): the standard library takes 0.4 ms for a camera's photo.
            data = pybase64.b64decode(self.data_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(f"photo is not valid base64: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ProtocolError("photo sha256 does not match its data")
        self._decoded = (self.data_b64, self.sha256, data)
        return data


class WatchlistHit(_Wire):
    entry_id: str
    score: float  # cosine similarity; 1.0 for an exact ID-number match
    threshold: float
    matched_by: Literal["face", "id_number"]


class WatchlistCheck(_Wire):
    list_version: str
    checked: bool  # false when no usable face and no ID number could be compared
    hit: WatchlistHit | None = None


class FaceResult(_Wire):
    status: FaceStatus
    detected: bool
    quality: float | None = None  # detector confidence of the chosen face, 0..1
    verify_score: float | None = None  # cosine similarity to the card holder's template
    verify_threshold: float | None = None
    enrolled: bool = True  # false when the terminal holds no template for this card
    watchlist: WatchlistCheck


class FingerprintStatus(StrEnum):
    MATCHED = "matched"  # the module matched the card holder's template (score at or above its threshold)
    MISMATCH = "mismatch"  # a finger was read and did not match the card holder's
    NO_FINGER = "no_finger"  # none placed within the terminal's wait
    FAULT = "fault"  # the module did not answer, or read no usable image


class FingerprintResult(_Wire):
    """1:1 on the terminal's fingerprint module: the card holder's templates against one capture."""

    status: FingerprintStatus
    score: int | None = None  # the module's Match score (R30x: 0..300; 50 and over is a match)
    reason: str | None = None  # for a fault: what the module said


class TerminalDecision(_Wire):
    outcome: Outcome
    code: str  # e.g. OK, FACE_MISMATCH, NO_FACE, CERT_REVOKED, NOT_ROSTERED; a watchlist hit is OK here
    message_zh: str
    message_en: str


class CheckinEvent(_Wire):
    schema_: Literal["guardpost.checkin/1"] = Field(default=SCHEMA, alias="schema")
    event_id: UUID
    terminal_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    seq: int = Field(ge=0)
    occurred_at: AwareDatetime
    card: Card
    direction: Direction
    photo: Photo | None = None
    photo_missing: str | None = None  # why there is no photo (camera error), when photo is None
    face: FaceResult
    fingerprint: FingerprintResult | None = None  # None: no fingerprint was asked for
    decision: TerminalDecision
    # Seconds the event had waited in the terminal's outbox when this copy was sent: set at each
    # send (``with_outbox_age``), not part of the event's content; central reads its clock offset.
    outbox_age_s: float | None = Field(default=None, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _photo_or_reason(self) -> CheckinEvent:
        if (self.photo is None) == (self.photo_missing is None):
            raise ValueError("exactly one of photo and photo_missing must be set")
        return self

    def to_json(self) -> bytes:
        """The event as stored in the outbox: its content, without the per-send ``outbox_age_s``."""
        return self.model_dump_json(by_alias=True, exclude={"outbox_age_s"}).encode("utf-8")

    def content_hash(self) -> str:
        """SHA-256 of the event's content (the photo by its own hash): equal for every copy of one event."""
        body = self.model_dump_json(by_alias=True, exclude={"outbox_age_s": True, "photo": {"data_b64"}})
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def with_outbox_age(payload: bytes, age_s: float) -> bytes:
    """A stored event payload (``CheckinEvent.to_json``) as sent now, after ``age_s`` in the outbox.

    Spliced in front of the object's members rather than re-encoded: the photo is most of the bytes.
    """
    if not payload.startswith(b"{"):
        raise ValueError("not a JSON object")
    return b'{"outbox_age_s":%.3f,' % max(age_s, 0.0) + payload[1:]


def parse_event(payload: bytes | bytearray) -> CheckinEvent:
    """Validate a wire payload; raises UnknownSchemaError or ProtocolError with a reason."""
    if len(payload) > MAX_EVENT_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_EVENT_BYTES}")
    try:
        text = bytes(payload).decode("utf-8")  # the wire is UTF-8: JSON's guess at UTF-16 or -32 is not taken
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"not UTF-8 (byte {exc.start})") from exc
    if "\x00" in text:  # never in JSON text: UTF-16 or -32 passes for UTF-8 until here
        raise ProtocolError("not UTF-8 (NUL bytes: UTF-16 or UTF-32?)")
    try:  # a valid event read straight from the text (pydantic's own JSON parser, a fifth of the time)
        event: CheckinEvent | None = CheckinEvent.model_validate_json(text)
    except ValidationError:
        event = None
    if event is None or "schema_" not in event.model_fields_set:  # the schema is named, never assumed
        event = _explained(text)  # read again the slow way, to say precisely what is wrong
    if event.photo is not None:
        event.photo.jpeg()
    return event


def _explained(text: str) -> CheckinEvent:
    """``text`` parsed step by step: raises UnknownSchemaError or ProtocolError with the reason."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProtocolError("payload is not a JSON object")
    schema = raw.get("schema")
    if schema != SCHEMA:
        raise UnknownSchemaError(f"unknown schema {schema!r}; this central reads {SCHEMA}")
    try:
        event = CheckinEvent.model_validate(raw)
    except ValidationError as exc:
        # Without the values: they may be ID numbers, or the whole event with its photo.
        raise ProtocolError(f"invalid event: {exc.errors(include_url=False, include_input=False)}") from exc
    return event  # valid after all (JSON the fast parser refused, e.g. NaN): as before
