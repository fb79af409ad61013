"""The verdict at the post against central's: does what the guard was told agree with the rules?

A terminal judges a tap from its roster (docs/roster.md); central judges the
stored event against the registry. They differ when the terminal's roster was
stale, missing, or tampered with, or when the registry changed in between.
Each new check-in is compared; a difference is logged with both verdicts and
counted (``guardpost_verdict_differences_total`` on ``/metrics``).
"""

from __future__ import annotations

from collections.abc import Iterable

from central.checkins.rules import RULES
from protocol.checkin import CheckinEvent, Outcome

STANDING = frozenset(rule.code for rule in RULES if rule.standing is not None)
# The terminal's own refusals that no rule names: the card is not on its roster (or not known at all).
_NOT_HERE = frozenset({"NOT_ROSTERED", "CARD_UNKNOWN"})
_CENTRAL_NOT_HERE = STANDING | {"CARD_UNKNOWN"}


def difference(event: CheckinEvent, central_codes: Iterable[str]) -> str | None:
    """How the two verdicts differ, or None when they agree.

    ``terminal_refused_central_allowed``, ``terminal_allowed_central_refused``, or
    ``other_reason`` (both refused, for different standing rules).
    """
    decision = event.decision
    central = set(central_codes)
    refused_here = decision.code in _NOT_HERE or (decision.outcome is Outcome.REFUSED and decision.code in STANDING)
    refused_there = bool(central & _CENTRAL_NOT_HERE)
    if refused_here and not refused_there:
        return "terminal_refused_central_allowed"
    if refused_there and not refused_here:
        return "terminal_allowed_central_refused"
    if decision.code in STANDING and decision.code not in central:
        return "other_reason"
    return None
