"""The terminal's roster: signed updates applied or refused, a tap found from any reader, the verdict at the post."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.checkin import CheckinPipeline
from edge.drivers.base import CardRead
from edge.drivers.camera import SnapshotCamera, SnapshotCameraConfig
from edge.enrolment import Enrolment, enroll_images
from edge.outbox import Outbox
from edge.roster import Roster
from edge.roster_sync import RosterNeedsFull, RosterSync, RosterUpdateError
from edge.watchlist import Watchlist
from firmware_mocks.camera import MockCamera
from guardpost.demo_script import faces_dir
from protocol.cards import CardTech, match_keys, parse_card
from protocol.checkin import CardKind, Outcome
from protocol.roster_update import UPDATE_SCHEMA, TerminalOverrides
from protocol.signed import encode_template, sign
from shared.face import MODEL_ID, FaceEngine, FaceSettings

KEY = Ed25519PrivateKey.generate()
T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
FOB_KEYS = match_keys(parse_card("0003887558", CardTech.EM4100).number)  # an EM4100 fob by its printed decimal
REVOKED = {"code": "CERT_REVOKED", "message_zh": "保安员证已被吊销，不得上岗，已记录，请联系主管",
           "message_en": "certificate revoked: recorded; please see the supervisor"}  # fmt: skip


def guard(
    guard_id: str, keys: list[str], refusals: Sequence[dict[str, str]] = (), templates: Sequence[str] = ()
) -> dict[str, Any]:
    return {"guard_id": guard_id, "name": f"保安{guard_id}", "employer": "平安保安", "card_keys": keys,
            "templates": list(templates), "level": 5, "certificate": "valid", "refusals": list(refusals)}  # fmt: skip


def update(
    version: str,
    guards: list[dict[str, Any]],
    *,
    base: str | None = None,
    removed: Sequence[str] = (),
    terminal: str = "T1",
    at: datetime = T0,
    key: Ed25519PrivateKey = KEY,
    settings: dict[str, float] | None = None,
) -> bytes:
    body = {
        "settings": settings or {},
        "schema": UPDATE_SCHEMA, "kind": "incremental" if base else "full", "terminal_id": terminal, "site_id": "S2",
        "on": "2026-12-06", "base_version": base, "version": version, "issued_at": at.isoformat(), "model": MODEL_ID,
        "upserts": guards, "removed": list(removed),
    }  # fmt: skip
    return sign(body, key)


class Holder:
    def __init__(self) -> None:
        self.roster = Roster()


@pytest.fixture
def sync(tmp_path: Path) -> Iterator[RosterSync]:
    handler = RosterSync(Holder(), tmp_path / "roster.json", KEY.public_key(), "T1",
                         clock=lambda: T0 + timedelta(hours=1))  # fmt: skip
    yield handler
    handler.close()


def test_a_full_roster_is_applied_saved_and_finds_a_card_from_every_reader(sync: RosterSync, tmp_path: Path) -> None:
    roster = sync.process(update("r1", [guard("G3", FOB_KEYS, [REVOKED]), guard("G1", ["iso14443a:DEADBEEF"])]))
    assert (roster.version, len(roster), sync.status_fields()) == (
        "r1",
        2,
        {"roster_version": "r1", "roster_stale": None},
    )
    # the fob as an RDM6300-type reader, a Wiegand-26 and a Wiegand-34 bridge deliver it (docs/cards.md)
    for kind, uid in [
        (CardKind.EM4100, "67003B51C6"),
        (CardKind.WIEGAND26, "3B51C6"),
        (CardKind.WIEGAND34, "003B51C6"),
    ]:
        found = roster.find(kind, uid)
        assert found is not None, kind
        assert found.guard.guard_id == "G3"
        assert found.refusal is not None
        assert found.refusal.code == "CERT_REVOKED"
    assert roster.find(CardKind.MIFARE, "DEADBEEF") is not None
    assert roster.find(CardKind.MIFARE, "0BADCAFE") is None
    assert roster.find(CardKind.EM4100, "not hex") is None  # a uid no reader sends finds nobody
    reloaded = Roster.load(tmp_path / "roster.json")  # survives a restart without the network
    assert (reloaded.version, sorted(reloaded.entries)) == ("r1", ["G1", "G3"])


def test_an_increment_applies_to_its_base_only(sync: RosterSync) -> None:
    sync.process(update("r1", [guard("G1", ["iso14443a:DEADBEEF"]), guard("G2", ["iso14443a:04A1B2C3"])]))
    roster = sync.process(update("r2", [guard("G1", ["iso14443a:DEADBEEF"], [REVOKED])], base="r1", removed=["G2"],
                                 at=T0 + timedelta(minutes=1)))  # fmt: skip
    assert sorted(roster.entries) == ["G1"]
    assert roster.entries["G1"].refusal is not None
    with pytest.raises(RosterNeedsFull):
        sync.process(update("r4", [], base="r3", at=T0 + timedelta(minutes=2)))
    assert (sync.roster.version, sync.staleness()) == ("r2", "needs_full")
    sync.process(update("r4", [guard("G1", ["iso14443a:DEADBEEF"])], at=T0 + timedelta(minutes=3)))  # the whole roster
    assert (sync.roster.version, sync.staleness()) == ("r4", None)


@pytest.mark.parametrize("forgery", ["tampered", "other_key", "other_terminal", "replayed", "unsigned", "not_json"])
def test_a_forged_or_misdirected_update_is_refused_and_reported(sync: RosterSync, forgery: str) -> None:
    sync.process(update("r2", [guard("G3", FOB_KEYS, [REVOKED])], at=T0 + timedelta(minutes=5)))
    lifted = update("r3", [guard("G3", FOB_KEYS, [REVOKED])], at=T0 + timedelta(minutes=6))
    payload = {
        # the verdict lifted after signing: the guard would be let on duty
        "tampered": lifted.replace(b"CERT_REVOKED", b"CERT_RESTORED"),
        "other_key": update(
            "r3", [guard("G3", FOB_KEYS)], at=T0 + timedelta(minutes=6), key=Ed25519PrivateKey.generate()
        ),
        "other_terminal": update("r3", [guard("G3", FOB_KEYS)], terminal="T2", at=T0 + timedelta(minutes=6)),
        "replayed": update("r1", [guard("G3", FOB_KEYS)], at=T0),  # signed earlier than the roster in use
        "unsigned": json.dumps({"schema": UPDATE_SCHEMA, "version": "r3"}).encode(),
        "not_json": b"\xff\xfe",
    }[forgery]
    with pytest.raises(RosterUpdateError):
        sync.process(payload)
    assert sync.roster.version == "r2"
    assert sync.roster.entries["G3"].refusal is not None
    assert sync.status_fields() == {"roster_version": "r2", "roster_stale": "refused"}


def test_no_roster_yet_and_an_old_one_are_reported(tmp_path: Path) -> None:
    clock = [T0]
    handler = RosterSync(
        Holder(), tmp_path / "r.json", KEY.public_key(), "T1", timedelta(hours=48), clock=lambda: clock[0]
    )
    assert handler.staleness() == "missing"
    handler.process(update("r1", []))
    assert handler.staleness() is None
    clock[0] = T0 + timedelta(hours=49)
    assert handler.staleness() == "too_old"
    handler.close()


# --- the verdict at the post, through the pipeline (real camera mock, face models, outbox) ---------


@pytest.fixture(scope="module")
def face() -> FaceEngine:
    return FaceEngine(FaceSettings())


@pytest.fixture
def pipeline(face: FaceEngine, tmp_path: Path) -> Iterator[tuple[CheckinPipeline, MockCamera]]:
    templates = [encode_template(t.astype("<f4").tobytes()) for t in
                 enroll_images(face, [faces_dir() / "s1" / f"{k}.pgm" for k in (1, 2, 9)])]  # fmt: skip
    roster = Roster()
    with MockCamera() as camera, closing(Outbox(tmp_path / "outbox.sqlite3")) as outbox:
        line = CheckinPipeline("T1", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), face, FaceSettings(),
                               Enrolment(), Watchlist.empty(), outbox, repeat_window_s=0, roster=roster)  # fmt: skip
        holder = RosterSync(line, tmp_path / "roster.json", KEY.public_key(), "T1")
        holder.process(update("r1", [guard("G1", ["iso14443a:DEADBEEF"], templates=templates),
                                     guard("G3", FOB_KEYS, [REVOKED])]))  # fmt: skip
        holder.close()
        yield line, camera


def test_the_terminal_answers_with_the_roster_verdict(pipeline: tuple[CheckinPipeline, MockCamera]) -> None:
    line, camera = pipeline
    camera.show(faces_dir() / "s3" / "5.pgm")
    refused = line.handle(CardRead(kind=CardKind.WIEGAND26, uid="3B51C6"))
    assert refused is not None
    assert refused.event is not None
    assert (refused.feedback.outcome, refused.feedback.code) == (Outcome.REFUSED, "CERT_REVOKED")
    assert refused.feedback.message_zh.startswith("保安员证已被吊销")
    assert refused.event.decision.outcome is Outcome.REFUSED

    camera.show(faces_dir() / "s1" / "5.pgm")  # the holder, verified against central's templates
    accepted = line.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF"))
    assert accepted is not None
    assert accepted.event is not None
    assert (accepted.feedback.outcome, accepted.feedback.code) == (Outcome.ACCEPTED, "OK")
    assert accepted.event.face.verify_score is not None
    assert accepted.event.face.enrolled

    camera.show(faces_dir() / "s8" / "5.pgm")  # someone else with the holder's card
    borrowed = line.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF"))
    assert borrowed is not None
    assert borrowed.feedback.code == "FACE_MISMATCH"

    stranger = line.handle(CardRead(kind=CardKind.MIFARE, uid="0BADCAFE"))
    assert stranger is not None
    assert stranger.event is not None
    assert (stranger.feedback.outcome, stranger.feedback.code) == (Outcome.REFUSED, "NOT_ROSTERED")


def test_without_a_roster_nobody_is_refused_for_it(face: FaceEngine, tmp_path: Path) -> None:
    with MockCamera() as camera, closing(Outbox(tmp_path / "outbox.sqlite3")) as outbox:
        camera.show(faces_dir() / "s1" / "5.pgm")
        line = CheckinPipeline("T1", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), face, FaceSettings(),
                               Enrolment(), Watchlist.empty(), outbox)  # fmt: skip
        result = line.handle(CardRead(kind=CardKind.MIFARE, uid="0BADCAFE"))
    assert result is not None
    assert result.feedback.code == "CARD_UNKNOWN"


def test_the_day_of_the_verdict_is_kept(sync: RosterSync) -> None:
    assert sync.process(update("r1", [])).on == date(2026, 12, 6)


def test_the_thresholds_central_sets_come_with_the_roster(pipeline: tuple[CheckinPipeline, MockCamera]) -> None:
    line, camera = pipeline
    camera.show(faces_dir() / "s1" / "5.pgm")
    before = line.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF"))
    assert before is not None
    assert before.feedback.code == "OK"
    line.roster.settings = TerminalOverrides(verify_threshold=0.99)  # as a roster update sets it
    strict = line.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF"))
    assert strict is not None
    assert strict.event is not None
    assert (strict.feedback.code, strict.event.face.verify_threshold) == ("FACE_MISMATCH", 0.99)
    line.roster.settings = TerminalOverrides(repeat_window_s=600)
    assert line.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF")) is None  # within central's repeat window


def test_settings_travel_in_the_signed_update_and_survive_a_restart(sync: RosterSync, tmp_path: Path) -> None:
    roster = sync.process(update("r1", [], settings={"watchlist_threshold": 0.6}))
    assert roster.settings == TerminalOverrides(watchlist_threshold=0.6)
    assert Roster.load(tmp_path / "roster.json").settings.watchlist_threshold == 0.6
    with pytest.raises(RosterUpdateError):  # below what the terminal accepts: refused whole
        sync.process(update("r2", [], settings={"watchlist_threshold": 0.1}, at=T0 + timedelta(minutes=1)))
