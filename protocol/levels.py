"""Protocol levels: what a terminal may send to a central of an older release.

Central refuses unknown fields (``extra="forbid"``), so a field added to the wire is
a new level that central learns first. A terminal upgraded before its central
(a replaced unit, a staged roll-out) is told the central's level in its settings
(``uplink.central_level``) and leaves out what that central would refuse: a
check-in from it is then stored, not dead-lettered. docs/protocol.md lists the
levels and the releases that speak them.
"""

from __future__ import annotations

import json
from typing import Literal

from protocol.checkin import with_outbox_age

Level = Literal["1.0", "1.1"]
CURRENT: Level = "1.1"
# Fields of each message that the level after 1.0 added (release 0.2.0).
ADDED_IN_1_1_EVENT = ("fingerprint",)
ADDED_IN_1_1_STATUS = ("roster_version", "roster_stale")


def event_payload(stored: bytes, age_s: float, level: Level) -> bytes:
    """An outbox row (``CheckinEvent.to_json``) as sent now to a central at ``level``.

    At 1.0 the event loses what 1.0 did not know: the outbox age and the fingerprint
    result (the face result and the terminal's decision still say what happened).
    """
    if level == CURRENT:
        return with_outbox_age(stored, age_s)
    event = json.loads(stored)
    for field in ADDED_IN_1_1_EVENT:
        event.pop(field, None)
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def status_fields_left_out(level: Level) -> set[str]:
    """The status fields a central at ``level`` does not know."""
    return set() if level == CURRENT else set(ADDED_IN_1_1_STATUS)
