"""Configuration errors of the commands: one line on stderr naming the problem and the fix, exit 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import ROOT

EXAMPLE = ROOT / "examples" / "terminal.toml"


def guardpost(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "guardpost", *argv],
        capture_output=True, text=True, cwd=ROOT, env={**environ, **(env or {})}, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def one_line_error(proc: subprocess.CompletedProcess[str], *named: str) -> str:
    """The error line, after checking exit code 2, a single line, no traceback, and that it names ``named``."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    for text in named:
        assert text in proc.stderr
    return proc.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_terminal_config_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    one_line_error(guardpost("terminal", "--config", str(missing)), "配置文件不存在", str(missing))


def test_terminal_unknown_key_names_it_and_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8").replace("resend_after_s", "resend_after"), encoding="utf-8")
    err = one_line_error(guardpost("terminal", "--config", str(config)), "uplink.resend_after", str(config))
    assert "remove it or correct its name" in err


def test_terminal_mqtt_ca_file_missing_names_the_key_and_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "ca.crt"
    proc = guardpost(
        "terminal", "--config", str(EXAMPLE),
        env={"GUARDPOST_TERMINAL_MQTT__CA_FILE": str(missing), "GUARDPOST_TERMINAL_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    err = one_line_error(proc, "mqtt.ca_file", str(missing), "GUARDPOST_TERMINAL_MQTT__CA_FILE")
    assert "文件不存在 / file not found" in err
    assert not (tmp_path / "outbox.sqlite3").exists()  # refused before anything started


def test_demo_port_in_use(busy_port: int) -> None:
    err = one_line_error(guardpost("demo", "--once", "--port", str(busy_port)), f"port {busy_port}", "--port")
    assert "端口不可用" in err


def test_cards_serial_port_missing(tmp_path: Path) -> None:
    port = tmp_path / "ttyUSB9"
    one_line_error(guardpost("cards", "--reader", "pn532", "--port", str(port)), "串口不存在", str(port), "--port")


def test_mock_camera_folder_missing_and_port_in_use(tmp_path: Path, busy_port: int) -> None:
    one_line_error(guardpost("mock", "camera", "--images", str(tmp_path / "none")), str(tmp_path / "none"))
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "1.jpg").write_bytes(b"")  # never read: the port fails first
    proc = guardpost("mock", "camera", "--images", str(tmp_path / "faces"), "--port", str(busy_port))
    one_line_error(proc, f"port {busy_port}", "--port")


def test_mock_reader_link_folder_missing(tmp_path: Path) -> None:
    link = tmp_path / "none" / "reader"
    one_line_error(guardpost("mock", "reader", "pn532", "--link", str(link)), str(link.parent), "--link")


def test_mock_reader_unknown_variant(tmp_path: Path) -> None:
    proc = guardpost("mock", "reader", "em4100", "--link", str(tmp_path / "reader"), "--variant", "id20")
    one_line_error(proc, "--variant", "id20", "rdm6300, id12")


def test_face_search_watchlist_missing(tmp_path: Path) -> None:
    missing = tmp_path / "watchlist.npz"
    proc = guardpost("face", "search", str(tmp_path / "photo.jpg"), "--watchlist", str(missing))
    one_line_error(proc, str(missing), "--watchlist")


def test_bench_orl_missing(tmp_path: Path) -> None:
    one_line_error(guardpost("bench", "face_accuracy", "--orl", str(tmp_path)), str(tmp_path), "GUARDPOST_ORL_DIR")
