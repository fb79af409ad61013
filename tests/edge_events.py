"""Check-in events for the terminal-side tests, built as a terminal's outbox builds them: by seq."""

from __future__ import annotations

from firmware_mocks.events import synthetic_event
from protocol.checkin import CheckinEvent


def make_event(seq: int, terminal_id: str = "T-TEST", uid: str = "DEADBEEF") -> CheckinEvent:
    return synthetic_event(terminal_id, seq=seq, card_uid=uid)
