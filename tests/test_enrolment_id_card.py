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
from tests.face_fixtures import orl_path
from tests.test_face_cli import run

ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def id_card_line() -> str:
    """What ``guardpost cards read --show-id`` prints for a tap of the ID card, read through the real driver."""
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
    record.write_text(id_card_line, encoding="utf-8")
    both = ["enroll", "--out", str(out), "--from-id-card", str(record), "--card", "04A1", "--guard-id", "G", photo]
    assert run(both, capsys)[0] == NO_DECISION
    assert run(["enroll", "--out", str(out), "--guard-id", "G", photo], capsys)[0] == NO_DECISION
    assert not out.exists()
