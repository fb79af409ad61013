"""Enrolment: templates by card uid, 1:1 verification, the file's round trip and atomic replace."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.enrolment import Enrolment, EnrolmentPhotoError, enroll_images
from edge.errors import TemplateFileError
from protocol.checkin import FaceStatus
from shared.face import Embedding, FaceEngine
from tests.fixtures.faces import frame, load_engine, orl_path


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return load_engine()


@pytest.fixture(scope="module")
def enrolment(engine: FaceEngine) -> Enrolment:
    enrolment = Enrolment()
    enrolment.add("04a1b2c3", "G-001", "张伟", enroll_images(engine, [orl_path(3, n) for n in (1, 2, 3)]))
    enrolment.add("04D4E5F6", "G-002", "李娜", enroll_images(engine, [orl_path(4, n) for n in (1, 2, 3)]))
    return enrolment


def _probe(engine: FaceEngine, person: int, shot: int) -> Embedding:
    embedding = engine.analyse(frame(person, shot)).embedding
    assert embedding is not None
    return embedding


def test_lookup_normalises_card_uid(enrolment: Enrolment) -> None:
    guard = enrolment.lookup("04A1B2C3")
    assert guard is not None
    assert (guard.guard_id, guard.name, guard.templates.shape) == ("G-001", "张伟", (3, 128))
    assert enrolment.lookup(" 04d4e5f6 ") is not None
    assert enrolment.lookup("FFFF") is None


def test_verify_card_holder_and_colleague(engine: FaceEngine, enrolment: Enrolment) -> None:
    threshold = engine.settings.verify_threshold
    holder = enrolment.verify("04A1B2C3", _probe(engine, 3, 8))
    colleague = enrolment.verify("04A1B2C3", _probe(engine, 4, 8))  # G-002 taps G-001's card
    assert holder is not None
    assert holder >= threshold
    assert colleague is not None
    assert colleague < threshold
    assert enrolment.verify("FFFF", _probe(engine, 3, 8)) is None


def test_round_trip(tmp_path: Path, engine: FaceEngine, enrolment: Enrolment) -> None:
    path = tmp_path / "enrolment.json"
    enrolment.save(path)
    loaded = Enrolment.load(path)
    assert len(loaded) == 2
    probe = _probe(engine, 4, 9)
    assert loaded.verify("04D4E5F6", probe) == pytest.approx(enrolment.verify("04D4E5F6", probe), abs=1e-6)
    guard = loaded.lookup("04D4E5F6")
    assert guard is not None
    assert guard.name == "李娜"


def test_save_replaces_atomically(tmp_path: Path, enrolment: Enrolment, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "enrolment.json"
    Enrolment().save(path)
    enrolment.save(path)
    assert len(Enrolment.load(path)) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["enrolment.json"]  # no temp file left behind

    def crash(fd: int) -> None:
        raise OSError("disk failed")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk failed"):
        Enrolment().save(path)
    assert len(Enrolment.load(path)) == 2  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["enrolment.json"]


def test_re_enrolment_replaces_templates(enrolment: Enrolment) -> None:
    local = Enrolment()
    local.add("AA", "G-9", "王芳", [np.ones(128)])
    local.add("aa", "G-9", "王芳", [np.ones(128), -np.ones(128)])
    guard = local.lookup("AA")
    assert guard is not None
    assert len(local) == 1
    assert guard.templates.shape == (2, 128)
    assert local.remove("aa")
    assert local.lookup("AA") is None


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"format": "other", "model": "x", "guards": []}', b"[1, 2]"],
)
def test_malformed_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(TemplateFileError):
        Enrolment.load(path)


def test_other_model_refused(tmp_path: Path, enrolment: Enrolment) -> None:
    path = tmp_path / "enrolment.json"
    enrolment.save(path)
    document = json.loads(path.read_text("utf-8"))
    document["model"] = "arcface_r100"
    path.write_text(json.dumps(document), "utf-8")
    with pytest.raises(TemplateFileError, match="arcface_r100"):
        Enrolment.load(path)


def test_truncated_template_refused(tmp_path: Path, enrolment: Enrolment) -> None:
    path = tmp_path / "enrolment.json"
    enrolment.save(path)
    document = json.loads(path.read_text("utf-8"))
    document["guards"][0]["templates"][0] = "AAAA"
    path.write_text(json.dumps(document), "utf-8")
    with pytest.raises(TemplateFileError, match="bytes"):
        Enrolment.load(path)


def test_enroll_images_reports_photos_without_a_face(tmp_path: Path, engine: FaceEngine) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 128, np.uint8))
    good = orl_path(5, 1)
    with pytest.raises(EnrolmentPhotoError) as caught:
        enroll_images(engine, [good, blank, tmp_path / "missing.jpg"])
    assert caught.value.failures[blank] is FaceStatus.NO_FACE
    assert "not a readable image" in str(caught.value.failures[tmp_path / "missing.jpg"])
    assert len(enroll_images(engine, [good, blank], skip_bad=True)) == 1
    with pytest.raises(EnrolmentPhotoError):
        enroll_images(engine, [blank], skip_bad=True)


def test_add_needs_a_template() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Enrolment().add("AA", "G", "n", [])
    with pytest.raises(ValueError, match="128"):
        Enrolment().add("AA", "G", "n", [np.ones(12)])
