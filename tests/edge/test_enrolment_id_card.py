"""``guardpost face enroll --from-id-card``: a guard enrolled from the resident ID card reader's record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.cards_cli import card_json
from edge.drivers import create_reader, parse_reader_config
from edge.enrolment import Enrolment
from edge.face_cli import NO_DECISION
from firmware_mocks.readers import create_mock
from guardpost.cli import main
from tests.edge.test_face_cli import run
from tests.fixtures.faces import orl_path

ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def id_card_line() -> str:
    """A line of ``guardpost cards --reader resident_id --show-id`` for a tap of the ID card (real driver)."""
    with create_mock("resident_id") as mock:
        cfg = parse_reader_config({"type": "resident_id", "port": mock.port, "poll_interval_s": 0.01})
        with create_reader(cfg) as reader:
            mock.tap(ID_NUMBER, name="李娜")
            card = reader.read(5.0)
    assert card is not None
    return json.dumps(card_json(card, show_id=True), ensure_ascii=False)


def test_enrol_from_the_id_card_record(tmp_path: Path, id_card_line: str, capsys: pytest.CaptureFixture[str]) -> None:
    record, out = tmp_path / "card.json", tmp_path / "enrolment.json"
    record.write_text(id_card_line + "\n", encoding="utf-8")
    photos = [str(orl_path(8, n)) for n in (1, 2, 3)]
    code, said = run(["enroll", "--out", str(out), "--from-id-card", str(record), "--guard-id", "G-8", *photos], capsys)
    assert code == 0
    guard = Enrolment.load(out).lookup(ID_NUMBER.lower())  # the card uid is the ID number
    assert guard is not None
    assert (guard.guard_id, guard.name, guard.templates.shape) == ("G-8", "李娜", (3, 128))
    assert ID_NUMBER not in said  # masked on screen
    assert "1101**********002X" in said


def test_masked_or_conflicting_id_card_input_is_refused(
    tmp_path: Path, id_card_line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    masked = json.loads(id_card_line)
    masked["id_number"] = "1101**********002X"
    record, out = tmp_path / "card.json", tmp_path / "enrolment.json"
    record.write_text(json.dumps(masked, ensure_ascii=False), encoding="utf-8")
    photo = str(orl_path(8, 1))
    assert run(["enroll", "--out", str(out), "--from-id-card", str(record), "--guard-id", "G-8", photo],
               capsys)[0] == NO_DECISION  # fmt: skip
    assert not out.exists()
    assert not out.exists()


@pytest.mark.parametrize(
    "options",
    [
        ["--from-id-card", "card.json", "--card", "04A1"],  # both sources of the card
        [],  # neither
    ],
)
def test_exactly_one_card_source_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    out = tmp_path / "enrolment.json"
    with pytest.raises(SystemExit) as exited:
        run(["enroll", "--out", str(out), *options, "--guard-id", "G", str(orl_path(8, 1))], capsys)
    assert exited.value.code == 2
    assert "--card" in capsys.readouterr().err
    assert not out.exists()


def test_a_card_uid_needs_a_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "enrolment.json"
    argv = ["face", "enroll", "--out", str(out), "--card", "04A1", "--guard-id", "G", str(orl_path(8, 1))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--card needs --name" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert not out.exists()
