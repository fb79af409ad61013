"""Signed commands from central to terminals, on ``guardpost/v1/t/{terminal}/cmd`` (QoS 1).

The watchlist (``protocol.watchlist_update``) and the terminal roster
(``protocol.roster_update``) travel the same way and are verified the same way:
an Ed25519 signature (central holds the private key, terminals the public key)
over a canonical encoding: the JSON object without its ``signature`` member, keys
sorted, separators ``,`` and ``:``, non-ASCII kept, UTF-8. The messages hold no
floats (templates are base64), so both sides produce the same bytes from the same
object. A terminal verifies the raw JSON object before it interprets any field,
and tells the commands apart by their ``schema``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocol.checkin import ProtocolError

TEMPLATE_BYTES = 128 * 4  # SFace: 128 little-endian float32


class SignatureError(ProtocolError):
    """A command that is unsigned, signed by another key, or altered after signing."""


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


def verified_object(payload: bytes, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The command's JSON object once its signature verifies; SignatureError, or ProtocolError when not JSON."""
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"command is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("signature"), str):
        raise SignatureError("command without a signature")
    if raw.get("key_id") != key_id(public_key):
        raise SignatureError(f"signed by key {raw.get('key_id')!r}, this terminal trusts {key_id(public_key)}")
    try:
        public_key.verify(base64.b64decode(raw["signature"], validate=True), canonical_bytes(raw))
    except (InvalidSignature, binascii.Error) as exc:
        raise SignatureError("command signature does not verify") from exc
    return raw


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
