"""Guards enrolled at central over HTTP: photos checked and kept or refused with the reason, the portrait, who may."""

from __future__ import annotations

import base64

import cv2
import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from central.checkins.store import record_event
from central.registry.faces import templates_of
from central.registry.models import Terminal
from central.rosters.build import build_roster
from guardpost.demo_script import faces_dir
from tests.fixtures.browser import face_jpeg
from tests.fixtures.central import make_event
from tests.fixtures.tenants import Apps


def photo(subject: str, shot: int) -> tuple[str, tuple[str, bytes]]:
    return "photos", (f"{subject}-{shot}.pgm", (faces_dir() / subject / f"{shot}.pgm").read_bytes())


def blank_png() -> tuple[str, tuple[str, bytes]]:
    ok, data = cv2.imencode(".png", np.full((480, 640, 3), 128, dtype=np.uint8))
    assert ok
    return "photos", ("wall.png", data.tobytes())


def test_usable_photos_are_kept_and_the_others_say_why(apps: Apps) -> None:
    files = [photo("s1", 1), photo("s1", 2), blank_png(), ("photos", ("notes.txt", b"not an image"))]
    response = apps.client("admin").post("/api/guards/G1/photos", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["templates"] == 2
    outcomes = {p["name"]: p for p in body["photos"]}
    assert outcomes["s1-1.pgm"]["kept"]
    assert outcomes["s1-1.pgm"]["quality"] > 0.5
    assert (outcomes["wall.png"]["kept"], outcomes["wall.png"]["reason_zh"]) == (False, "未检测到人脸")
    assert outcomes["notes.txt"]["reason_zh"] == "不是可读取的图片（JPEG / PNG）"
    with Session(apps.engine) as session:
        assert len(templates_of(session, ["G1"])["G1"]) == 2

    portrait = apps.client("admin").get("/api/guards/G1/portrait")
    assert portrait.status_code == 200
    assert portrait.headers["content-type"] == "image/jpeg"
    assert portrait.content[:2] == b"\xff\xd8"

    assert apps.client("admin").delete("/api/guards/G1/faces").status_code == 200
    with Session(apps.engine) as session:
        assert templates_of(session, ["G1"]) == {}
    assert apps.client("admin").get("/api/guards/G1/portrait").status_code == 404


def test_the_employer_enrols_its_own_guards_only(apps: Apps) -> None:
    assert apps.client("pingan").post("/api/guards/G1/photos", files=[photo("s1", 1)]).status_code == 200
    assert apps.client("pingan").get("/api/guards/G1/portrait").status_code == 200
    # another tenant's guard does not even exist for them; the police read but do not enrol
    assert apps.client("jinxiu").post("/api/guards/G1/photos", files=[photo("s1", 1)]).status_code == 404
    assert apps.client("jinxiu").get("/api/guards/G1/portrait").status_code == 404
    police = apps.client("police").post("/api/guards/G1/photos", files=[photo("s1", 1)])
    assert police.status_code == 403
    assert police.json()["detail"].startswith("只有管理员或用人单位")


def test_too_many_photos_at_once_are_refused(apps: Apps) -> None:
    response = apps.client("admin").post("/api/guards/G1/photos", files=[photo("s1", 1)] * 11)
    assert response.status_code == 413
    assert apps.client("admin").post("/api/guards/NOPE/photos", files=[photo("s1", 1)]).status_code == 404


def test_a_confirmed_check_in_photo_becomes_a_template_of_its_card_holder(apps: Apps) -> None:
    mine = make_event(card_uid="DEADBEEF", photo=face_jpeg("s1", 5))  # 张伟's card, his face
    theirs = make_event(card_uid="04A1B2C3", photo=face_jpeg("s2", 5), seq=2)  # 李娜's
    for event in (mine, theirs):
        record_event(apps.engine, event, data_dir=apps.data_dir, default_jurisdiction="unassigned")
    confirmed = apps.client("pingan").post(f"/api/guards/G1/photos/from-checkin/{mine.event_id}")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["photos"][0]["kept"]
    with Session(apps.engine) as session:
        assert len(templates_of(session, ["G1"])["G1"]) == 1
    # another guard's capture is never enrolled as this guard's, and another tenant cannot confirm at all
    assert apps.client("pingan").post(f"/api/guards/G1/photos/from-checkin/{theirs.event_id}").status_code == 404
    assert apps.client("jinxiu").post(f"/api/guards/G1/photos/from-checkin/{mine.event_id}").status_code == 404


def test_a_fingerprint_template_is_stored_sealed_and_reaches_the_roster(apps: Apps) -> None:
    template = bytes(range(256)) * 2  # 512 bytes, as an R30x module uploads (UpChar)
    body = {"template_b64": base64.b64encode(template).decode()}
    stored = apps.client("pingan").put("/api/guards/G1/fingerprints/1", json=body)
    assert stored.status_code == 200, stored.text
    assert stored.json()["fingers"] == 1
    with apps.engine.connect() as connection:  # at rest: sealed, not the template
        raw = connection.execute(text("SELECT template FROM guardfingerprint WHERE guard_id = 'G1'")).scalar_one()
    assert str(raw).startswith("v1:")
    assert base64.b64encode(template).decode() not in str(raw)
    with Session(apps.engine) as session:
        gate = session.get(Terminal, "T-S2-GATE")
        assert gate is not None
        entry = build_roster(session, gate).entries["G1"]
    assert entry["fingerprints"] == [body["template_b64"]]
    short = apps.client("admin").put("/api/guards/G1/fingerprints/2", json={"template_b64": "AAAA"})
    assert short.status_code == 422
    assert "字节" in short.json()["detail"]
    assert apps.client("admin").put("/api/guards/G1/fingerprints/10", json=body).status_code == 422
    assert apps.client("jinxiu").put("/api/guards/G1/fingerprints/1", json=body).status_code == 404
    assert apps.client("admin").delete("/api/guards/G1/fingerprints").json()["removed"] == 1
