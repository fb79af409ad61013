"""``guardpost terminal`` under systemd (Type=notify): READY=1 once running, WATCHDOG=1 from the reader loop.

The reader is absent (a port that does not exist) and so is the broker: the
loop keeps retrying the reader, and feeding the watchdog while it does.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.brokers import free_port
from tests.fixtures.notify import received_until, under_systemd


def test_the_terminal_reports_ready_feeds_the_watchdog_and_says_when_it_stops(tmp_path: Path) -> None:
    config = tmp_path / "terminal.toml"
    config.write_text(
        f"terminal_id = 'T-SYSTEMD'\ndata_dir = '{tmp_path.as_posix()}'\n"
        f"[reader]\ntype = 'em4100'\nport = '{(tmp_path / 'no-reader').as_posix()}'\n"
        f"[camera]\ntype = 'snapshot'\nurl = 'http://127.0.0.1:{free_port()}/snapshot.jpg'\n"
        f"[mqtt]\nport = {free_port()}\n",
        encoding="utf-8",
    )
    with under_systemd(tmp_path, "terminal", config, watchdog_s=1) as (systemd, process):
        try:
            received = received_until(systemd, lambda seen: seen.count(b"WATCHDOG=1") >= 2 and b"READY=1" in seen)
        finally:
            process.terminate()
        received += received_until(systemd, lambda seen: b"STOPPING=1" in seen)
        process.terminate()  # a second SIGTERM while stopping changes nothing
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert received.count(b"READY=1") == 1
