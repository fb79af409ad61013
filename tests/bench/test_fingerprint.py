"""``guardpost bench fingerprint`` runs end to end with tiny counts: a table, or JSON rows."""

from __future__ import annotations

import argparse
import json

import pytest

from bench.fingerprint import run
from guardpost.cli import main


def test_rows_for_each_operation_with_the_modelled_line_time() -> None:
    rows = run(argparse.Namespace(rounds=2, packet_size=32, baud=57600))
    assert [row["operation"] for row in rows] == ["UpChar", "DownChar", "1:1"]
    for row in rows:
        assert row["rounds"] == 2
        assert 0 < row["median_ms"] <= row["p95_ms"]  # type: ignore[operator]
    # 512 bytes in 16 packets of 32 (11 bytes of framing each), the command (13) and its acknowledge (12).
    assert rows[0]["wire_bytes"] == 512 + 16 * 11 + 13 + 12
    assert rows[0]["uart_ms"] == pytest.approx((512 + 16 * 11 + 25) * 10 / 57600 * 1000)


def test_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "fingerprint", "--rounds", "1", "--packet-size", "256", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["operation"] for row in rows} == {"UpChar", "DownChar", "1:1"}


def test_command_refuses_zero_rounds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "fingerprint", "--rounds", "0"]) == 2
    assert "--rounds 0" in capsys.readouterr().err
