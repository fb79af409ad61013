"""``guardpost cards`` reading each family from its mock, and ``guardpost mock reader`` as a process."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from edge.cards_cli import card_json, mask_id
from edge.drivers.base import CardRead
from firmware_mocks.readers import ReaderMock
from guardpost.cli import main
from protocol.checkin import CardKind
from tests.fixtures.readers import running_mock


def _run_cards(mock: ReaderMock[Any], argv: list[str], uid: str, **fields: Any) -> int:
    """Run ``guardpost cards`` while tapping until it exits (push readers drop bytes sent before the port opens)."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main(["cards", *argv])))
    thread.start()
    while thread.is_alive():
        mock.tap(uid, **fields)
        thread.join(0.3)
    return result[0]


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


FOB_FORMS = {  # the EM4100 fob of docs/cards.md
    "hex": "67003B51C6",
    "decimal": "0003887558",
    "facility_card": "059,20934",
    "wiegand26": "3B51C6",
    "wiegand34": "003B51C6",
}


@pytest.mark.parametrize(
    ("kind", "uid", "expected"),
    [
        (
            "pn532",
            "04a1b2c3d4e5f6",
            {"kind": "mifare", "uid": "04A1B2C3D4E5F6", "canonical": "iso14443a:04A1B2C3D4E5F6",
             "forms": {"uid": "04A1B2C3D4E5F6"}},
        ),
        (
            "pn532",
            "B0864D25",
            {"kind": "mifare", "uid": "B0864D25", "canonical": "iso14443a:B0864D25",
             "forms": {"uid": "B0864D25", "reversed_decimal": "0625837744", "decimal": "2961591589"}},
        ),
        ("em4100", "67003B51C6", {"kind": "em4100", "uid": "67003B51C6", "canonical": "em4100:67003B51C6",
                                  "forms": FOB_FORMS}),
        (
            "ascii",
            "deadbeef",
            {"kind": "ascii", "uid": "DEADBEEF", "canonical": "em4100:DEADBEEF",
             "forms": {"decimal": "3735928559", "facility_card": "173,48879", "wiegand26": "ADBEEF",
                       "wiegand34": "DEADBEEF"}},
        ),
        (
            "wiegand",
            "90:324",
            {"kind": "wiegand26", "uid": "5A0144", "facility": "90", "card": "324", "canonical": "em4100:5A0144",
             "forms": {"facility_card": "090,00324", "wiegand26": "5A0144"}},
        ),
    ],
)  # fmt: skip
def test_cards_prints_one_json_line_per_read(
    capsys: pytest.CaptureFixture[str], kind: str, uid: str, expected: dict[str, str]
) -> None:
    with running_mock(kind) as mock:
        code = _run_cards(mock, ["--reader", kind, "--port", mock.port, "--count", "1", "--timeout", "10"], uid)
    assert code == 0
    assert _lines(capsys.readouterr().out) == [expected]


@pytest.mark.parametrize("show_id", [False, True])
def test_cards_masks_id_numbers_unless_asked(capsys: pytest.CaptureFixture[str], show_id: bool) -> None:
    argv = ["--reader", "resident_id", "--port", "", "--count", "1", "--timeout", "10"]
    with running_mock("resident_id") as mock:
        argv[3] = mock.port
        mock.tap("110101199003071234", name="张三")
        code = main(["cards", *argv, *(["--show-id"] if show_id else [])])
    assert code == 0
    [line] = _lines(capsys.readouterr().out)
    number = "110101199003071234" if show_id else "1101**********1234"
    assert line["uid"] == line["id_number"] == number
    assert (line["kind"], line["name"], line["birth_date"]) == ("resident_id", "张三", "1990-03-07")
    assert "canonical" not in line  # an ID card is known by its ID number


def test_a_uid_that_is_no_card_number_says_why() -> None:
    line = card_json(CardRead(kind=CardKind.ASCII, uid="CAFE"))
    assert (line["uid"], line["canonical"], line["forms"]) == ("CAFE", None, {})
    assert "does not deliver 'CAFE'" in str(line["canonical_error"])


def test_mask_id() -> None:
    assert mask_id("11010119900307123X") == "1101**********123X"
    assert mask_id("1234") == "****"


def test_cards_reports_framing_errors_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    with running_mock("em4100") as mock:
        mock.inject("bad_checksum")
        mock.inject("bad_checksum")
        argv = ["--reader", "em4100", "--port", mock.port, "--count", "1", "--timeout", "10"]
        code = _run_cards(mock, argv, "0102030405")
    captured = capsys.readouterr()
    assert code == 0
    [line] = _lines(captured.out)
    assert (line["kind"], line["uid"], line["canonical"]) == ("em4100", "0102030405", "em4100:0102030405")
    assert "帧错误 / framing error: EM4100 bad checksum" in captured.err


def test_cards_exits_on_unplug() -> None:
    with running_mock("pn532") as mock:
        mock.tap("DEADBEEF")
        argv = ["cards", "--reader", "pn532", "--port", mock.port, "--count", "2", "--timeout", "20"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "guardpost", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "no card read"
        assert json.loads(proc.stdout.readline())["uid"] == "DEADBEEF"  # the port is open and polled
        mock.inject("unplug")
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert "读卡器已断开 / reader disconnected" in err


@pytest.mark.parametrize("variant", [[], ["--variant", "id12"]])
def test_mock_reader_command_serves_a_link_and_taps_from_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: list[str]
) -> None:
    link, taps = tmp_path / "em4100", tmp_path / "taps.txt"
    taps.write_text("# two cards\n0102030405\n\n0A0B0C0D0E\n", encoding="utf-8")
    argv = ["mock", "reader", "em4100", "--link", str(link), "--taps", str(taps), "--interval", "1.0", *variant]
    proc = subprocess.Popen([sys.executable, "-m", "guardpost", *argv], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "mock did not start"
        assert "serving" in proc.stdout.readline()
        code = main(["cards", "--reader", "em4100", "--port", str(link), "--count", "2", "--timeout", "15"])
        assert code == 0
        assert [line["uid"] for line in _lines(capsys.readouterr().out)] == ["0102030405", "0A0B0C0D0E"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert not os.path.lexists(link)  # removed on exit
