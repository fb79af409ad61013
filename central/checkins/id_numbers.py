"""ID numbers of resident-ID-card check-ins at rest: what the ``checkin`` row holds in their place.

A guard who taps a resident ID card (二代证) sends its number twice: as the
card uid and inside the card's ID-card fields. Neither is stored in clear:

- ``card_id_number`` holds the number, sealed by its column type
  (``central.db.types.SealedIdNumber``); ``card_id_number_hash`` the keyed
  hash to find a number's check-ins by;
- ``card_uid`` holds the masked number (what every role but the police and the
  administrator is shown anyway), so that lists and counts by card still work;
- ``raw_event`` (the event as received) holds both places sealed
  (``v1:...``); ``open_raw_event`` gives the event back as received.

Used by the write path (``central.checkins.store``), the read models (``central.checkins.queries``)
and the migration that sealed the check-ins stored before (0004).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from central.access.scope import Scope, mask_id_number
from central.db.sealing import IdCipher, is_sealed
from protocol.checkin import CardKind

RESIDENT_ID = CardKind.RESIDENT_ID.value


class CardColumns(Protocol):
    """What a check-in row says about its card (``central.checkins.models.Checkin``)."""

    card_kind: str
    card_uid: str
    card_id_number: str | None


def card_columns(kind: str, uid: str, cipher: Callable[[], IdCipher]) -> dict[str, str | None]:
    """The ``card_uid``, ``card_id_number`` (still clear: the column type seals it) and hash of a tap."""
    if kind != RESIDENT_ID:
        return {"card_uid": uid, "card_id_number": None, "card_id_number_hash": None}
    return {"card_uid": mask_id_number(uid), "card_id_number": uid, "card_id_number_hash": cipher().lookup_hash(uid)}


def _rewrite(raw: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    card = raw.get("card") or {}
    if card.get("kind") == RESIDENT_ID and card.get("uid"):
        card["uid"] = change(card["uid"])
    id_card = card.get("id_card") or {}
    if id_card.get("id_number"):
        id_card["id_number"] = change(id_card["id_number"])
    return raw


def seal_raw_event(raw: dict[str, Any], cipher: IdCipher) -> dict[str, Any]:
    """``raw`` (the event as JSON data) with the card's ID number sealed in both places; changed in place."""
    return _rewrite(raw, lambda value: value if is_sealed(value) else cipher.seal(value))


def open_raw_event(stored: str, cipher: IdCipher) -> dict[str, Any]:
    """A stored ``raw_event`` as it was received, the ID number in clear (police and administrator only)."""
    raw: dict[str, Any] = json.loads(stored)
    return _rewrite(raw, lambda value: cipher.open(value) if is_sealed(value) else value)


def card_number(checkin: CardColumns) -> str:
    """The card uid, or for a resident ID card its number in clear (the column type opened it)."""
    return checkin.card_id_number if checkin.card_id_number is not None else checkin.card_uid


def card_shown(scope: Scope, checkin: CardColumns) -> str:
    """The card as ``scope`` may see it: an ID number masked for all but the police and the administrator."""
    if checkin.card_kind != RESIDENT_ID:
        return checkin.card_uid
    return scope.id_number(card_number(checkin)) or checkin.card_uid
