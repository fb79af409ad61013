"""MQTT brokers for tests: the shared Mosquitto, and private ones a test may kill and restart."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

SHARED_HOST, SHARED_PORT = "127.0.0.1", int(os.environ.get("GUARDPOST_TEST_MQTT_PORT", "1883"))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_shared_broker() -> None:
    if not port_open(SHARED_PORT):
        pytest.fail(f"no MQTT broker on 127.0.0.1:{SHARED_PORT}: run scripts/test, which starts Mosquitto")


class PrivateMosquitto:
    """A Mosquitto of the test's own on a free port; stop(), kill() and start() keep the port.

    ``persistent``: sessions and queued messages are saved to ``workdir`` on a
    clean stop (SIGTERM) and restored on start, as in production; a SIGKILL
    loses everything since the last save (autosave is set far beyond any test).
    ``config``: the whole configuration instead of the default one (``{port}``
    and ``{workdir}`` are substituted), e.g. one derived from deploy/mosquitto.
    """

    def __init__(
        self, workdir: Path, extra_config: str = "", *, persistent: bool = False, config: str | None = None
    ) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.fail("mosquitto is not installed: run scripts/test, which installs it")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "mosquitto.conf"
        if config is None:
            persistence = (
                f"persistence true\npersistence_location {workdir}/\nautosave_interval 3600\n"
                if persistent
                else "persistence false\n"
            )
            config = f"listener {{port}} 127.0.0.1\nallow_anonymous true\n{persistence}{extra_config}"
        self.config.write_text(config.replace("{port}", str(self.port)).replace("{workdir}", str(workdir)))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        with (self.workdir / "mosquitto.log").open("ab") as log:
            self._process = subprocess.Popen([self.binary, "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start: {(self.workdir / 'mosquitto.log').read_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
