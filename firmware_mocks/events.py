"""Synthetic check-in events, valid on the wire, for simulated terminals, load generators and tests.

One place builds them so that a change to the event contract is made once.
"""

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
    WatchlistHit,
)


def small_photo() -> Photo:
    """A 16x16 JPEG: a photo that costs nothing to carry."""
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    image[4:12, 4:12] = (40, 160, 220)
    ok, jpeg = cv2.imencode(".jpg", image)
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return Photo.from_jpeg(jpeg.tobytes(), 16, 16)


def camera_sized_photo(seed: int = 7) -> Photo:
    """A 640x480 JPEG with some structure, about the size a check-in camera produces."""
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), (640, 480))
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return Photo.from_jpeg(jpeg.tobytes(), 640, 480)


def synthetic_event(
    terminal_id: str = "T-S2-GATE",
    *,
    seq: int = 1,
    event_id: uuid.UUID | None = None,
    card_uid: str = "DEADBEEF",
    card_kind: CardKind = CardKind.MIFARE,
    occurred_at: datetime | None = None,
    direction: Direction = Direction.IN,
    face_status: FaceStatus = FaceStatus.OK,
    verify_score: float | None = 0.82,
    verify_threshold: float | None = 0.5,
    hit: WatchlistHit | None = None,
    with_photo: bool = True,
    photo: Photo | None = None,
) -> CheckinEvent:
    """A valid event; by default an accepted tap of card DEADBEEF at the demo's gate, with a small photo."""
    ok = face_status == FaceStatus.OK
    return CheckinEvent(
        event_id=event_id or uuid.uuid4(),
        terminal_id=terminal_id,
        seq=seq,
        occurred_at=occurred_at or datetime.now(UTC),
        card=Card(kind=card_kind, uid=card_uid),
        direction=direction,
        photo=(photo or small_photo()) if with_photo else None,
        photo_missing=None if with_photo else "camera gave no frame",
        face=FaceResult(
            status=face_status,
            detected=ok,
            quality=0.95 if ok else None,
            verify_score=verify_score if ok else None,
            verify_threshold=verify_threshold if ok else None,
            watchlist=WatchlistCheck(list_version="wl-1", checked=ok, hit=hit),
        ),
        decision=TerminalDecision(outcome=Outcome.ACCEPTED, code="OK", message_zh="签到成功", message_en="checked in"),
    )
