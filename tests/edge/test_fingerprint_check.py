"""The site's check at the tap with a fingerprint module: card + fingerprint, card + either, and what goes wrong.

Through the pipeline with a real fingerprint module mock on a pty (the driver
writes the card holder's template with DownChar and the module matches it), the
camera mock and the face models; the roster says what the site asks for.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from central.checkins.rules import evaluate
from edge.checkin import CheckinPipeline, CheckinResult
from edge.drivers.base import CardRead
from edge.drivers.camera import SnapshotCamera, SnapshotCameraConfig
from edge.drivers.fingerprint import FingerprintConfig
from edge.enrolment import Enrolment, enroll_images
from edge.fingerprint_check import FingerprintCheck
from edge.outbox import Outbox
from edge.roster import Roster, RosterEntry
from edge.watchlist import Watchlist
from firmware_mocks.camera import MockCamera
from firmware_mocks.fingerprint import FingerprintMock
from firmware_mocks.fingerprint.fingers import finger_template
from guardpost.demo_script import faces_dir
from protocol.checkin import CardKind, FingerprintStatus, Outcome
from protocol.roster_update import RosterGuard, TerminalOverrides
from protocol.signed import encode_template
from shared.face import FaceEngine, FaceSettings
from tests.central.checkins.test_rules import BASE

UID = "DEADBEEF"


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@dataclass
class Post:
    line: CheckinPipeline
    camera: MockCamera
    module: FingerprintMock

    def tap(self, photo: str | None, finger: str | None, policy: str) -> CheckinResult:
        self.line.roster.settings = TerminalOverrides(check_policy=policy)  # as the roster sends it
        self.camera.show(faces_dir() / photo if photo else np.full((480, 640, 3), 90, dtype=np.uint8))
        if finger is None:
            self.module.lift()
        else:
            self.module.place(finger)
        result = self.line.handle(CardRead(kind=CardKind.MIFARE, uid=UID))
        assert result is not None
        return result


@pytest.fixture
def post(face: FaceEngine, tmp_path: Path) -> Iterator[Post]:
    faces = enroll_images(face, [faces_dir() / "s1" / f"{k}.pgm" for k in (1, 2, 9)])
    guard = RosterGuard(
        guard_id="G1", name="张伟", card_keys=[f"iso14443a:{UID}"], certificate="valid",
        templates=[encode_template(t.astype("<f4").tobytes()) for t in faces],
        fingerprints=[base64.b64encode(finger_template("zhang-wei-right-index")).decode()],
    )  # fmt: skip
    roster = Roster([RosterEntry.of(guard)], version="r1")
    with MockCamera() as camera, FingerprintMock() as module, closing(Outbox(tmp_path / "o.sqlite3")) as outbox:
        check = FingerprintCheck(FingerprintConfig(port=module.port, reply_timeout_s=0.5), wait_s=0.4)
        line = CheckinPipeline("T1", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), face, FaceSettings(),
                               Enrolment(), Watchlist.empty(), outbox, repeat_window_s=0, roster=roster,
                               fingerprint=check)  # fmt: skip
        yield Post(line, camera, module)
        check.close()


def test_card_and_fingerprint_the_holders_finger_checks_in(post: Post) -> None:
    result = post.tap("s1/5.pgm", "zhang-wei-right-index", "fingerprint")
    assert result.event is not None
    assert result.event.fingerprint is not None
    assert result.event.fingerprint.status is FingerprintStatus.MATCHED
    assert (result.event.fingerprint.score or 0) >= 50  # the module's own threshold
    assert (result.feedback.outcome, result.feedback.code) == (Outcome.ACCEPTED, "OK")


def test_card_and_fingerprint_someone_elses_finger_is_a_mismatch(post: Post) -> None:
    result = post.tap("s1/5.pgm", "someone-elses-thumb", "fingerprint")
    assert result.event is not None
    assert result.event.fingerprint is not None
    assert result.event.fingerprint.status is FingerprintStatus.MISMATCH
    assert (result.feedback.outcome, result.feedback.code) == (Outcome.SEE_SUPERVISOR, "FINGERPRINT_MISMATCH")
    assert result.feedback.message_zh == "指纹与持卡人不符，已记录，请联系主管"
    assert [v.code for v in evaluate(result.event, BASE)] == ["FINGERPRINT_MISMATCH"]


def test_no_finger_within_the_wait_is_recorded_with_the_reason(post: Post) -> None:
    result = post.tap("s1/5.pgm", None, "fingerprint")
    assert result.event is not None  # recorded as always
    assert result.event.fingerprint is not None
    assert result.event.fingerprint.status is FingerprintStatus.NO_FINGER
    assert result.feedback.code == "NO_FINGERPRINT"
    assert "NO_FINGERPRINT" in [v.code for v in evaluate(result.event, BASE)]


def test_card_and_either_asks_for_a_finger_only_when_the_face_does_not_confirm(post: Post) -> None:
    by_face = post.tap("s1/5.pgm", None, "either")
    assert by_face.event is not None
    assert by_face.event.fingerprint is None  # the face confirmed the holder: no finger asked
    assert by_face.feedback.code == "OK"
    by_finger = post.tap(None, "zhang-wei-right-index", "either")  # nobody's face in view (a helmet, backlight)
    assert by_finger.event is not None
    assert by_finger.event.fingerprint is not None
    assert by_finger.event.fingerprint.status is FingerprintStatus.MATCHED
    assert by_finger.feedback.code == "OK"
    assert evaluate(by_finger.event, BASE) == []  # no NO_FACE: the finger confirmed the card holder


def test_a_module_that_stops_answering_is_a_fault_and_the_tap_is_kept(post: Post) -> None:
    post.module.inject("mute")  # the next command gets no answer
    result = post.tap("s1/5.pgm", "zhang-wei-right-index", "fingerprint")
    assert result.event is not None
    assert result.event.fingerprint is not None
    assert result.event.fingerprint.status is FingerprintStatus.FAULT
    assert (result.feedback.outcome, result.feedback.code) == (Outcome.ACCEPTED, "NO_FINGERPRINT")
    again = post.tap("s1/5.pgm", "zhang-wei-right-index", "fingerprint")  # reopened at the next tap
    assert again.event is not None
    assert again.event.fingerprint is not None
    assert again.event.fingerprint.status is FingerprintStatus.MATCHED


def test_the_face_alone_when_the_site_asks_for_no_finger(post: Post) -> None:
    result = post.tap("s1/5.pgm", "zhang-wei-right-index", "face")
    assert result.event is not None
    assert result.event.fingerprint is None
