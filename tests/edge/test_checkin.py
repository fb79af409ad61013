"""The terminal's check-in pipeline with real face models, a mock camera over HTTP, and a real outbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.checkin import CheckinPipeline
from edge.drivers.base import CardRead
from edge.drivers.camera import SnapshotCamera, SnapshotCameraConfig
from edge.enrolment import Enrolment, enroll_images
from edge.outbox import Outbox
from edge.watchlist import Watchlist, WatchlistEntry, build_watchlist
from firmware_mocks.camera import MockCamera
from guardpost.demo_script import faces_dir
from protocol.checkin import CardKind, FaceStatus, Outcome, parse_event
from shared.face import FaceEngine, FaceSettings

SETTINGS = FaceSettings()


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(SETTINGS)


def photos(subject: str, *shots: int) -> list[Path]:
    return [faces_dir() / subject / f"{k}.pgm" for k in shots]


@pytest.fixture(scope="module")
def enrolment(engine: FaceEngine) -> Enrolment:
    enrolment = Enrolment()
    enrolment.add("DEADBEEF", "G1", "张伟", enroll_images(engine, photos("s1", 1, 2, 9)))
    enrolment.add("55667788", "G6", "赵磊", enroll_images(engine, photos("s6", 1, 2, 3)))
    return enrolment


@pytest.fixture(scope="module")
def watchlist(engine: FaceEngine) -> Watchlist:
    wanted = WatchlistEntry("W-0001", "孙立军", "110105198203150079")
    return build_watchlist(engine, [(wanted, photos("s6", 9, 10))])


@pytest.fixture
def camera() -> Iterator[MockCamera]:
    with MockCamera() as cam:
        yield cam


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3", max_rows=100)
    yield box
    box.close()


@pytest.fixture
def pipeline(
    camera: MockCamera, engine: FaceEngine, enrolment: Enrolment, watchlist: Watchlist, outbox: Outbox
) -> CheckinPipeline:
    return CheckinPipeline(
        "T-TEST", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), engine, SETTINGS, enrolment, watchlist, outbox
    )


def tap(uid: str) -> CardRead:
    return CardRead(kind=CardKind.MIFARE, uid=uid)


def test_card_holder_is_accepted_and_the_event_is_in_the_outbox(
    pipeline: CheckinPipeline, camera: MockCamera, outbox: Outbox
) -> None:
    camera.show(faces_dir() / "s1" / "5.pgm")
    result = pipeline.handle(tap("DEADBEEF"))
    assert result is not None
    assert result.event is not None
    assert result.feedback.outcome is Outcome.ACCEPTED
    assert result.event.face.status is FaceStatus.OK
    assert result.event.face.verify_score is not None
    assert result.event.face.verify_score >= SETTINGS.verify_threshold
    stored = outbox.due(0, 10)
    assert len(stored) == 1
    assert parse_event(stored[0].payload) == result.event


def test_someone_else_tapping_the_card_is_a_face_mismatch(pipeline: CheckinPipeline, camera: MockCamera) -> None:
    camera.show(faces_dir() / "s8" / "5.pgm")
    result = pipeline.handle(tap("DEADBEEF"))
    assert result is not None
    assert result.event is not None
    assert result.feedback.code == "FACE_MISMATCH"
    assert result.feedback.outcome is Outcome.SEE_SUPERVISOR
    assert result.event.face.verify_score is not None
    assert result.event.face.verify_score < SETTINGS.verify_threshold


def test_a_photo_without_a_face_is_recorded_as_no_face(pipeline: CheckinPipeline, camera: MockCamera) -> None:
    camera.show(np.full((480, 640, 3), 140, np.uint8))
    result = pipeline.handle(tap("DEADBEEF"))
    assert result is not None
    assert result.event is not None
    assert result.event.face.status is FaceStatus.NO_FACE
    assert result.event.photo is not None
    assert "已记录" in result.feedback.message_zh


def test_a_dead_camera_still_records_the_tap_by_card(
    pipeline: CheckinPipeline, camera: MockCamera, outbox: Outbox
) -> None:
    camera.inject("dead")
    result = pipeline.handle(tap("DEADBEEF"))
    assert result is not None
    assert result.event is not None
    assert result.event.photo is None
    assert result.event.photo_missing
    assert result.event.face.status is FaceStatus.PHOTO_MISSING
    assert outbox.stats().depth == 1


def test_wanted_person_is_flagged_in_the_event_but_not_on_the_screen(
    pipeline: CheckinPipeline, camera: MockCamera
) -> None:
    camera.show(faces_dir() / "s6" / "6.pgm")
    result = pipeline.handle(tap("55667788"))
    assert result is not None
    assert result.event is not None
    hit = result.event.face.watchlist.hit
    assert hit is not None
    assert hit.entry_id == "W-0001"
    assert hit.matched_by == "face"
    assert result.feedback.outcome is Outcome.ACCEPTED
    assert "逃" not in result.feedback.message_zh
    assert "wanted" not in result.feedback.message_en


def test_unknown_card_is_recorded_and_sent_to_the_supervisor(pipeline: CheckinPipeline, camera: MockCamera) -> None:
    camera.show(faces_dir() / "s9" / "5.pgm")
    result = pipeline.handle(tap("0BADCAFE"))
    assert result is not None
    assert result.event is not None
    assert result.feedback.code == "CARD_UNKNOWN"
    assert result.event.face.enrolled is False


def test_a_repeated_read_is_one_tap_and_the_next_tap_checks_out(
    pipeline: CheckinPipeline, camera: MockCamera, outbox: Outbox
) -> None:
    camera.show(faces_dir() / "s1" / "5.pgm")
    first = pipeline.handle(tap("DEADBEEF"))
    assert pipeline.handle(tap("DEADBEEF")) is None
    pipeline.repeat_window_s = 0.0
    second = pipeline.handle(tap("DEADBEEF"))
    assert first is not None
    assert first.event is not None
    assert first.event.direction == "in"
    assert second is not None
    assert second.event is not None
    assert second.event.direction == "out"
    assert outbox.stats().depth == 2


def test_a_full_outbox_tells_the_guard_nothing_was_recorded(
    camera: MockCamera, engine: FaceEngine, enrolment: Enrolment, watchlist: Watchlist, tmp_path: Path
) -> None:
    full = Outbox(tmp_path / "full.sqlite3", max_rows=100)
    full.max_rows = 0
    pipeline = CheckinPipeline(
        "T-TEST", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), engine, SETTINGS, enrolment, watchlist, full
    )
    camera.show(faces_dir() / "s1" / "5.pgm")
    result = pipeline.handle(tap("DEADBEEF"))
    assert result is not None
    assert result.event is None
    assert result.feedback.recorded is False
    assert result.feedback.outcome is Outcome.REFUSED
    assert "未记录" in result.feedback.message_zh
