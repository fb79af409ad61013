"""FaceEngine on real models and real ORL faces: loading, 1:1 scores, each quality gate."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

import shared.face
from protocol.checkin import FaceStatus
from shared.errors import FaceModelError
from shared.face import (
    DETECTOR_FILE,
    EMBEDDING_DIM,
    RECOGNIZER_FILE,
    Embedding,
    FaceEngine,
    FaceSettings,
    models_dir,
    similarity,
)
from tests.fixtures.faces import Image, frame, load_engine, on_canvas, orl


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine()


def _copy_models(tmp_path: Path) -> Path:
    for name in (DETECTOR_FILE, RECOGNIZER_FILE):
        shutil.copyfile(models_dir() / name, tmp_path / name)
    return tmp_path


def test_models_load_from_installed_package(engine: FaceEngine) -> None:
    result = engine.analyse(frame(1, 1))
    assert result.status is FaceStatus.OK
    assert result.embedding is not None
    assert result.embedding.shape == (EMBEDDING_DIM,)
    assert result.embedding.dtype == np.float32
    assert np.linalg.norm(result.embedding) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", [DETECTOR_FILE, RECOGNIZER_FILE])
def test_corrupted_model_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    folder = _copy_models(tmp_path)
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / name).write_bytes(bytes(data))
    monkeypatch.setattr(shared.face, "models_dir", lambda: folder)
    with pytest.raises(FaceModelError, match="checksum mismatch"):
        FaceEngine(FaceSettings())


def test_missing_model_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_models(tmp_path)
    (folder / RECOGNIZER_FILE).unlink()
    monkeypatch.setattr(shared.face, "models_dir", lambda: folder)
    with pytest.raises(FaceModelError, match="unreadable"):
        FaceEngine(FaceSettings())


def test_verified_copy_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_models(tmp_path)
    monkeypatch.setattr(shared.face, "models_dir", lambda: folder)
    assert FaceEngine(FaceSettings()).analyse(frame(2, 1)).status is FaceStatus.OK


def _embedding(engine: FaceEngine, image: Image) -> Embedding:
    result = engine.analyse(image)
    assert result.embedding is not None, result.status
    return result.embedding


@pytest.mark.parametrize(("person", "a", "b"), [(1, 1, 2), (5, 3, 9), (12, 1, 10), (23, 4, 7), (38, 2, 6)])
def test_same_person_matches(engine: FaceEngine, person: int, a: int, b: int) -> None:
    score = similarity(_embedding(engine, frame(person, a)), _embedding(engine, frame(person, b)))
    assert score >= engine.settings.verify_threshold


@pytest.mark.parametrize(("p", "q"), [(1, 2), (5, 9), (12, 30), (23, 24), (38, 40)])
def test_different_people_do_not_match(engine: FaceEngine, p: int, q: int) -> None:
    score = similarity(_embedding(engine, frame(p, 1)), _embedding(engine, frame(q, 1)))
    assert score < engine.settings.verify_threshold
    assert score < engine.settings.watchlist_threshold


def test_greyscale_and_bgr_give_the_same_template(engine: FaceEngine) -> None:
    grey = on_canvas(orl(3, 3))
    bgr = np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), np.uint8)
    assert similarity(_embedding(engine, grey), _embedding(engine, bgr)) == pytest.approx(1.0, abs=1e-4)


def test_large_frame_detects_downscaled_and_embeds_full_resolution(engine: FaceEngine) -> None:
    big = on_canvas(orl(4, 2), scale=6.0, size=(1920, 1080))
    result = engine.analyse(big)
    assert result.status is FaceStatus.OK
    assert result.box is not None
    assert result.box[2] > 250  # box reported in full-resolution pixels, not detector pixels
    assert result.embedding is not None
    assert similarity(result.embedding, _embedding(engine, frame(4, 2))) > 0.8


def test_raw_orl_image_verifies(engine: FaceEngine) -> None:
    assert similarity(_embedding(engine, orl(6, 1)), _embedding(engine, orl(6, 5))) >= engine.settings.verify_threshold


def _two_faces() -> Image:
    left = on_canvas(orl(1, 1), x=80)
    right = on_canvas(orl(2, 1), x=420)
    left[:, 320:] = right[:, 320:]
    return left


def _rotated(degrees: float) -> Image:
    matrix = cv2.getRotationMatrix2D((320, 240), degrees, 1.0)
    return np.asarray(cv2.warpAffine(frame(1, 1), matrix, (640, 480), borderValue=(128, 128, 128)), np.uint8)


QUALITY_CASES: dict[str, tuple[Callable[[], Image], FaceStatus, bool]] = {
    "grey frame": (lambda: np.full((480, 640), 128, np.uint8), FaceStatus.NO_FACE, False),
    "background crop": (
        lambda: np.asarray(cv2.resize(orl(1, 1)[:30, :], (640, 480)), np.uint8),
        FaceStatus.NO_FACE,
        False,
    ),
    "two faces": (_two_faces, FaceStatus.MULTIPLE_FACES, True),
    "small face": (lambda: on_canvas(orl(1, 1), scale=0.45), FaceStatus.FACE_TOO_SMALL, True),
    "heavy blur": (lambda: np.asarray(cv2.GaussianBlur(frame(1, 1), (0, 0), 6), np.uint8), FaceStatus.BLURRED, True),
    "darkened": (lambda: (frame(1, 1) * 0.2).astype(np.uint8), FaceStatus.TOO_DARK, True),
    "black frame": (lambda: np.zeros((480, 640, 3), np.uint8), FaceStatus.TOO_DARK, False),
    "rotated 45 degrees": (lambda: _rotated(45), FaceStatus.NOT_FRONTAL, True),
}


@pytest.mark.parametrize("case", list(QUALITY_CASES))
def test_quality_reason(engine: FaceEngine, case: str) -> None:
    make, status, detected = QUALITY_CASES[case]
    result = engine.analyse(make())
    assert result.status is status
    assert result.detected is detected
    assert result.embedding is None
    assert (result.quality is not None) is detected


def test_a_small_face_behind_the_guard_is_ignored(engine: FaceEngine) -> None:
    canvas = on_canvas(orl(1, 1), x=200)
    canvas[20:76, 560:606] = cv2.resize(orl(2, 1), (46, 56))
    assert engine.analyse(canvas).status is FaceStatus.OK


def test_rejects_bad_input(engine: FaceEngine) -> None:
    with pytest.raises(ValueError, match="uint8"):
        engine.analyse(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError, match="shape"):
        engine.analyse(np.zeros((10, 10, 4), np.uint8))


def test_similarity_is_cosine() -> None:
    assert similarity([1.0, 0.0], [0.0, 2.0]) == pytest.approx(0.0)
    assert similarity([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="zero"):
        similarity([0.0, 0.0], [1.0, 0.0])
