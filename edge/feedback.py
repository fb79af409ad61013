"""What the terminal tells the guard after a tap: outcome, code, and the words, Chinese first.

A watchlist hit is never shown to the person at the terminal: the screen says
what the same tap says without a hit, and so does the event's decision (the
employer reads it); the alert goes to the police.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.checkin import Direction, FaceResult, FaceStatus, FingerprintResult, FingerprintStatus, Outcome
from protocol.roster_update import Refusal

_FACE_PROBLEMS: dict[FaceStatus, tuple[str, str]] = {
    FaceStatus.NO_FACE: ("未检测到人脸，请正对摄像头", "no face found; please face the camera"),
    FaceStatus.MULTIPLE_FACES: ("画面中有多人，请单独刷卡", "several faces in view; please tap alone"),
    FaceStatus.FACE_TOO_SMALL: ("请靠近摄像头", "please come closer to the camera"),
    FaceStatus.BLURRED: ("画面模糊，请稍停再刷卡", "image blurred; please hold still and tap again"),
    FaceStatus.TOO_DARK: ("光线太暗", "too dark to see your face"),
    FaceStatus.NOT_FRONTAL: ("请正对摄像头", "please look straight at the camera"),
    FaceStatus.PHOTO_MISSING: ("摄像头故障，已凭卡记录", "camera fault; recorded by card only"),
}


@dataclass(frozen=True, slots=True)
class Feedback:
    outcome: Outcome
    code: str
    message_zh: str
    message_en: str
    recorded: bool = True

    @property
    def text(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    @classmethod
    def not_recorded(cls) -> Feedback:
        return cls(
            Outcome.REFUSED,
            "OUTBOX_FULL",
            "终端存储已满，本次未记录，请联系主管",
            "terminal storage full: NOT recorded; please see the supervisor",
            recorded=False,
        )


def failed() -> Feedback:
    """The tap could not be processed (a fault in the terminal): nothing was recorded."""
    return Feedback(
        Outcome.REFUSED,
        "TERMINAL_FAULT",
        "终端故障，本次未记录，请重新刷卡或联系主管",
        "terminal fault: NOT recorded; tap again or see the supervisor",
        recorded=False,
    )


_FINGER: dict[FingerprintStatus, tuple[Outcome, str, str, str]] = {
    FingerprintStatus.MISMATCH: (
        Outcome.SEE_SUPERVISOR, "FINGERPRINT_MISMATCH",
        "指纹与持卡人不符，已记录，请联系主管",
        "fingerprint does not match the card holder: recorded; please see the supervisor",
    ),
    FingerprintStatus.NO_FINGER: (
        Outcome.SEE_SUPERVISOR, "NO_FINGERPRINT",
        "未检测到指纹，已记录，请联系主管", "no finger on the reader: recorded; please see the supervisor",
    ),
    FingerprintStatus.FAULT: (
        Outcome.ACCEPTED, "NO_FINGERPRINT",
        "指纹模块故障，已凭卡记录", "fingerprint reader fault; recorded by card only",
    ),
}  # fmt: skip


def decide(
    face: FaceResult,
    enrolled: bool,
    direction: Direction,
    refusal: Refusal | None = None,
    off_roster: bool = False,
    fingerprint: FingerprintResult | None = None,
) -> Feedback:
    """The terminal's local decision; central re-evaluates every rule against the registry.

    ``refusal``: the roster's verdict on the card holder (certificate revoked, ...);
    ``off_roster``: the terminal holds a roster and the card is not on it;
    ``fingerprint``: the 1:1 on the module, when the site's check asked for one
    (a matched finger confirms the card holder whatever the face showed).
    """
    # The watchlist is not consulted here: a hit changes nothing the guard sees or the event's decision
    # says (the employer reads it), so the answer is the one the same tap gets without a hit.
    if refusal is not None:
        return Feedback(Outcome.REFUSED, refusal.code, refusal.message_zh, refusal.message_en)
    if off_roster:
        return Feedback(
            Outcome.REFUSED,
            "NOT_ROSTERED",
            "本岗位名册中无此卡，不得上岗，已记录，请联系主管",
            "card not on this post's roster: recorded; please see the supervisor",
        )
    if fingerprint is not None and fingerprint.status in _FINGER:
        return Feedback(*_FINGER[fingerprint.status])
    if fingerprint is not None and fingerprint.status is FingerprintStatus.MATCHED:
        return _checked_in(direction)
    if not enrolled:
        return Feedback(
            Outcome.SEE_SUPERVISOR,
            "CARD_UNKNOWN",
            "卡片未登记，已记录，请联系主管",
            "card not registered: recorded; please see the supervisor",
        )
    if face.status is FaceStatus.PHOTO_MISSING:
        zh, en = _FACE_PROBLEMS[face.status]
        return Feedback(Outcome.ACCEPTED, face.status.value, zh, en)
    if face.status is not FaceStatus.OK:
        zh, en = _FACE_PROBLEMS[face.status]
        return Feedback(Outcome.SEE_SUPERVISOR, face.status.value, f"{zh}（已记录）", f"{en} (recorded)")
    mismatch = (
        face.verify_score is not None
        and face.verify_threshold is not None
        and (face.verify_score < face.verify_threshold)
    )
    if mismatch:
        return Feedback(
            Outcome.SEE_SUPERVISOR,
            "FACE_MISMATCH",
            "人脸与持卡人不符，已记录，请联系主管",
            "face does not match the card holder: recorded; please see the supervisor",
        )
    return _checked_in(direction)  # central alerts the police from the face result


def _checked_in(direction: Direction) -> Feedback:
    zh, en = ("签到成功", "checked in") if direction is Direction.IN else ("签退成功", "checked out")
    return Feedback(Outcome.ACCEPTED, "OK", zh, en)
