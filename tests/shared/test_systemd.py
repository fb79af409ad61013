"""``shared.systemd``: datagrams to a real Unix socket, as systemd receives them; the watchdog's pace."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.systemd import Watchdog, notify, watchdog_interval_s


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd's, named in $NOTIFY_SOCKET."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        yield sock


def test_states_arrive_as_one_datagram(listener: socket.socket) -> None:
    assert notify("READY=1", "STATUS=serving")
    assert listener.recv(4096) == b"READY=1\nSTATUS=serving"


def test_an_abstract_socket_is_named_with_an_at_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"guardpost-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("WATCHDOG=1")
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_outside_systemd_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


@pytest.mark.parametrize(
    ("usec", "pid", "interval"),
    [("60000000", "self", 30.0), ("60000000", None, 30.0), ("60000000", "1", None), (None, None, None)],
)
def test_the_watchdog_interval_is_half_of_watchdog_sec(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, interval: float | None
) -> None:
    for key, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    assert watchdog_interval_s() == interval


def test_kicks_are_sent_at_most_once_per_interval(listener: socket.socket) -> None:
    now = [100.0]
    watchdog = Watchdog(interval_s=10.0, clock=lambda: now[0])
    for t in (100.0, 101.0, 109.9, 110.0, 115.0, 120.5):
        now[0] = t
        watchdog.kick()
    listener.setblocking(False)
    received = []
    while True:
        try:
            received.append(listener.recv(4096))
        except BlockingIOError:
            break
    assert received == [b"WATCHDOG=1"] * 3  # at 100, 110 and 120.5
