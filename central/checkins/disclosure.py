"""What a reader who may not learn of a wanted-person match sees of a check-in's decision.

A match must never reach the guard's employer, the property firm or another
jurisdiction's police: it would tip the suspect off. The terminal already
hides it from the guard and from its decision code (the code the same tap
gets without a match), and a match is not a violation. Events of terminals
of earlier versions carry the decision code ``WANTED_MATCH``: for every reader
but the police and the administrator that code is replaced by the one the
terminal gives the same tap without a match (``edge.feedback``: a face that does not match the card
holder, a card the terminal holds no template for, otherwise ``OK``), so the
row reads exactly like the same tap by someone not on the list.
"""

from __future__ import annotations

from typing import Protocol

from central.access.scope import Scope

WANTED_MATCH = "WANTED_MATCH"


class Decided(Protocol):
    """What a check-in row says about the terminal's decision (``central.checkins.models.Checkin``)."""

    decision_code: str
    verify_score: float | None
    verify_threshold: float | None


def decision_shown(scope: Scope, checkin: Decided) -> str:
    """The decision code ``scope`` is shown: the stored one, or its cover for a match it may not know of."""
    if checkin.decision_code != WANTED_MATCH or scope.sees_alerts:
        return checkin.decision_code
    return without_match(checkin)


def without_match(checkin: Decided) -> str:
    """The code the terminal gives a tap with a usable face when the watchlist finds nothing."""
    score, threshold = checkin.verify_score, checkin.verify_threshold
    if score is None:  # no template for the card on the terminal
        return "CARD_UNKNOWN"
    if threshold is not None and score < threshold:
        return "FACE_MISMATCH"
    return "OK"
