"""The check-in pipeline: tap -> frame -> face -> event -> outbox -> feedback.

Every tap that reaches ``handle`` produces exactly one event, whatever the
camera or the face pipeline did (NO_FACE and friends travel in the event).
The guard is told "recorded" only after the outbox commit.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2

from edge.drivers.base import Camera, CardRead, Frame
from edge.enrolment import Enrolment
from edge.errors import CameraError, OutboxFull
from edge.feedback import Feedback, decide
from edge.fingerprint_check import FingerprintCheck
from edge.outbox import Outbox
from edge.roster import Roster, RosterEntry
from edge.status_file import CameraState
from edge.watchlist import Watchlist
from protocol.checkin import (
    Card,
    CheckinEvent,
    Direction,
    FaceResult,
    FaceStatus,
    FingerprintResult,
    Photo,
    TerminalDecision,
    WatchlistCheck,
)
from protocol.roster_update import TerminalOverrides
from shared.face import FaceAnalysis, FaceEngine, FaceSettings

logger = logging.getLogger(__name__)
JPEG_QUALITY = 85
# A tap this long after the previous "in" starts a new shift instead of ending the old one.
SHIFT_MAX_S = 16 * 3600


@dataclass(frozen=True, slots=True)
class CheckinResult:
    event: CheckinEvent | None  # None only when the outbox refused the tap
    feedback: Feedback
    ignored_repeat: bool = False


class CheckinPipeline:
    def __init__(
        self,
        terminal_id: str,
        camera: Camera,
        face: FaceEngine,
        face_settings: FaceSettings,
        enrolment: Enrolment,
        watchlist: Watchlist,
        outbox: Outbox,
        on_recorded: Callable[[], None] = lambda: None,
        repeat_window_s: float = 3.0,
        roster: Roster | None = None,
        fingerprint: FingerprintCheck | None = None,
        on_prompt: Callable[[str, str], None] = lambda zh, en: logger.info("%s / %s", zh, en),
    ) -> None:
        self.terminal_id = terminal_id
        self._camera = camera
        self._face = face
        self._face_settings = face_settings
        self._enrolment = enrolment
        self.watchlist = watchlist
        # Central's roster (edge.roster_sync swaps in new versions); the local enrolment file
        # supplies templates only for guards central holds none for.
        self.roster = roster if roster is not None else Roster()
        self._fingerprint = fingerprint  # the module, when the terminal has one
        self._on_prompt = on_prompt
        self._outbox = outbox
        self.on_recorded = on_recorded
        # Taps of one card within this window are one tap (a card left on the reader is read again).
        self.repeat_window_s = repeat_window_s
        self._last_tap: dict[str, tuple[float, Direction]] = {}
        # How the camera fared at the last tap ("unknown" before the first), for the status file.
        self.camera_state: CameraState = "unknown"
        self.camera_error: str | None = None

    def handle(self, read: CardRead) -> CheckinResult | None:
        """Process one card read; None when it repeats the previous tap of the same card."""
        now = time.monotonic()
        roster = self.roster  # one version for the whole tap: its guards and the settings central sent
        overrides = roster.settings
        window = overrides.repeat_window_s if overrides.repeat_window_s is not None else self.repeat_window_s
        previous = self._last_tap.get(read.uid)
        if previous is not None and now - previous[0] < window:
            return None
        direction = self._direction(previous, now)
        occurred_at = datetime.now(UTC)
        frame, photo, photo_missing = self._snapshot()
        analysis = self._face.analyse(frame.image) if frame is not None else None
        entry = roster.find(read.kind, read.uid) if roster.held else None
        face = self._face_result(read, analysis, entry, self._thresholds(overrides))
        refusal = entry.refusal if entry is not None else None
        fingerprint = self._finger(entry, face, overrides.check_policy) if refusal is None else None
        feedback = decide(
            face,
            enrolled=face.enrolled,
            direction=direction,
            refusal=refusal,
            off_roster=roster.held and entry is None,
            fingerprint=fingerprint,
        )
        try:
            event = self._outbox.append(
                lambda seq: CheckinEvent(
                    event_id=uuid.uuid4(),
                    terminal_id=self.terminal_id,
                    seq=seq,
                    occurred_at=occurred_at,
                    card=Card(kind=read.kind, uid=read.uid, id_card=read.id_card),
                    direction=direction,
                    photo=photo,
                    photo_missing=photo_missing,
                    face=face,
                    fingerprint=fingerprint,
                    decision=TerminalDecision(
                        outcome=feedback.outcome,
                        code=feedback.code,
                        message_zh=feedback.message_zh,
                        message_en=feedback.message_en,
                    ),
                )
            )
        except OutboxFull:
            logger.exception("tap not recorded: outbox full")
            return CheckinResult(event=None, feedback=Feedback.not_recorded())
        self._last_tap[read.uid] = (now, direction)
        self.on_recorded()
        return CheckinResult(event=event, feedback=feedback)

    def _direction(self, previous: tuple[float, Direction] | None, now: float) -> Direction:
        if previous is None or previous[1] is Direction.OUT or now - previous[0] > SHIFT_MAX_S:
            return Direction.IN
        return Direction.OUT

    def _snapshot(self) -> tuple[Frame | None, Photo | None, str | None]:
        try:
            frame = self._camera.snapshot()
            photo = _photo(frame)
        except CameraError as exc:
            logger.warning("check-in without photo: %s", exc)
            self.camera_state, self.camera_error = "failed", str(exc)
            return None, None, str(exc)
        self.camera_state, self.camera_error = "ok", None
        return frame, photo, None

    def _finger(self, entry: RosterEntry | None, face: FaceResult, policy: str | None) -> FingerprintResult | None:
        """The 1:1 on the module when the site's check asks for one: always (``fingerprint``), or when
        the face did not confirm the card holder (``either``); None when there is nothing to match."""
        if self._fingerprint is None or entry is None or not entry.fingerprints or policy in (None, "face"):
            return None
        if policy == "either" and _face_confirms(face):
            return None
        return self._fingerprint.verify(entry.fingerprints, self._on_prompt)

    def _thresholds(self, overrides: TerminalOverrides) -> FaceSettings:
        """The configured face settings with the thresholds central set, if any."""
        changed = {
            name: value
            for name in ("verify_threshold", "watchlist_threshold")
            if (value := getattr(overrides, name)) is not None
        }
        return self._face_settings.model_copy(update=changed) if changed else self._face_settings

    def _face_result(
        self, read: CardRead, analysis: FaceAnalysis | None, entry: RosterEntry | None, settings: FaceSettings
    ) -> FaceResult:
        enrolled = entry is not None or self._enrolment.lookup(read.uid) is not None
        embedding = analysis.embedding if analysis is not None else None
        verify_score = entry.verify(embedding) if entry is not None and embedding is not None else None
        if verify_score is None and embedding is not None:
            verify_score = self._enrolment.verify(read.uid, embedding)
        id_number = read.id_card.id_number if read.id_card is not None else None
        watch: WatchlistCheck = self.watchlist.check(embedding, id_number, settings.watchlist_threshold)
        if analysis is None:
            return FaceResult(status=FaceStatus.PHOTO_MISSING, detected=False, enrolled=enrolled, watchlist=watch)
        return FaceResult(
            status=analysis.status,
            detected=analysis.detected,
            quality=analysis.quality,
            verify_score=verify_score,
            verify_threshold=settings.verify_threshold if verify_score is not None else None,
            enrolled=enrolled,
            watchlist=watch,
        )


def _face_confirms(face: FaceResult) -> bool:
    score, threshold = face.verify_score, face.verify_threshold
    return face.status is FaceStatus.OK and score is not None and threshold is not None and score >= threshold


def _photo(frame: Frame) -> Photo:
    ok, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise CameraError("JPEG 编码失败 / could not encode the frame as JPEG")
    height, width = frame.image.shape[:2]
    return Photo.from_jpeg(jpeg.tobytes(), width=width, height=height)
