"""``guardpost face``: the commands on real photos, parsed by the real argument parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.enrolment import Enrolment
from edge.face_cli import MATCH, NO_DECISION, NO_MATCH, register
from edge.watchlist import Watchlist
from shared.face import FaceSettings
from tests.fixtures.faces import orl_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="guardpost")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["face", *argv])
    code: int = args.func(args)
    return code, capsys.readouterr().out


def test_verify_json_same_person(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["verify", str(orl_path(5, 1)), str(orl_path(5, 4)), "--json"], capsys)
    result = json.loads(out)
    assert set(result) == {"score", "match", "reason"}
    assert result["match"] is True
    assert result["reason"] is None
    assert FaceSettings().verify_threshold <= result["score"] <= 1.0
    assert code == MATCH


def test_verify_json_different_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["verify", str(orl_path(5, 1)), str(orl_path(6, 4)), "--json"], capsys)
    result = json.loads(out)
    assert result["match"] is False
    assert result["score"] < FaceSettings().verify_threshold
    assert code == NO_MATCH


def test_verify_json_no_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 128, np.uint8))
    code, out = run(["verify", str(orl_path(5, 1)), str(blank), "--json"], capsys)
    assert json.loads(out) == {"score": None, "match": None, "reason": "NO_FACE"}
    assert out.count("\n") == 1  # exactly one object
    assert code == NO_DECISION
    code, out = run(["verify", str(tmp_path / "missing.jpg"), str(blank), "--json"], capsys)
    assert json.loads(out)["reason"] == "UNREADABLE_IMAGE"


def test_verify_human_output_is_bilingual(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(["verify", str(orl_path(5, 1)), str(orl_path(5, 4))], capsys)
    assert "相似度 / similarity" in out
    assert "同一人 / same person" in out


def test_enroll_then_watchlist_then_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    enrolment = tmp_path / "enrolment.json"
    code, _ = run(["enroll", "--out", str(enrolment), "--card", "04a1", "--guard-id", "G-1", "--name", "张伟",
                   str(orl_path(9, 1)), str(orl_path(9, 2))], capsys)  # fmt: skip
    assert code == 0
    guard = Enrolment.load(enrolment).lookup("04A1")
    assert guard is not None
    assert guard.templates.shape == (2, 128)

    watchlist = tmp_path / "watchlist.npz"
    for entry_id, person in (("W-1", 7), ("W-2", 8)):
        code, _ = run(["watchlist-add", "--out", str(watchlist), "--id", entry_id, "--name", "某",
                       "--id-number", f"11010519491231{person:04d}", str(orl_path(person, 1))], capsys)  # fmt: skip
        assert code == 0
    assert [e.entry_id for e in Watchlist.load(watchlist).entries] == ["W-1", "W-2"]

    code, out = run(["search", str(orl_path(7, 9)), "--watchlist", str(watchlist), "--json"], capsys)
    result = json.loads(out)
    assert (code, result["hit"], result["best"]["entry_id"]) == (MATCH, True, "W-1")
    code, out = run(["search", str(orl_path(9, 9)), "--watchlist", str(watchlist), "--json"], capsys)
    assert (code, json.loads(out)["hit"]) == (NO_MATCH, False)
