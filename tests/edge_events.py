"""Factories of valid check-in events for the terminal-side tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import cv2
import numpy as np

from protocol.checkin import (
    Card,
    CardKind,
    CheckinEvent,
    Direction,
    FaceResult,
    FaceStatus,
    Outcome,
    Photo,
    TerminalDecision,
    WatchlistCheck,
)


def tiny_photo() -> Photo:
    ok, jpeg = cv2.imencode(".jpg", np.full((16, 16, 3), 120, np.uint8))
    assert ok
    return Photo.from_jpeg(jpeg.tobytes(), width=16, height=16)


def make_event(seq: int, terminal_id: str = "T-TEST", uid: str = "DEADBEEF") -> CheckinEvent:
    return CheckinEvent(
        event_id=uuid.uuid4(),
        terminal_id=terminal_id,
        seq=seq,
        occurred_at=datetime.now(UTC),
        card=Card(kind=CardKind.MIFARE, uid=uid),
        direction=Direction.IN,
        photo=tiny_photo(),
        face=FaceResult(
            status=FaceStatus.OK,
            detected=True,
            quality=0.9,
            verify_score=0.8,
            verify_threshold=0.445,
            watchlist=WatchlistCheck(list_version="empty", checked=True),
        ),
        decision=TerminalDecision(outcome=Outcome.ACCEPTED, code="OK", message_zh="签到成功", message_en="checked in"),
    )
