"""Central as three worker processes on one PostgreSQL and one broker; one is SIGKILLed while terminals publish.

The workers share the events through the broker's shared subscription. The
killed worker's unacknowledged messages come back to the others (the terminals
send again what gets no receipt); an alert it committed without telling the
police is sent by whichever worker leads the re-send job. In the end every
event is stored once, every match has one alert and the police one message each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from urllib.error import URLError

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from central.alerts.models import Alert
from protocol.checkin import CheckinEvent
from protocol.messages import PoliceAlert
from protocol.topics import police_alert_topic
from tests import ROOT
from tests.fixtures.brokers import PrivateMosquitto, free_port
from tests.fixtures.central import Collector, add_terminal, make_event, wanted_hit
from tests.fixtures.delivery import TerminalUnderTest, assert_delivered
from tests.fixtures.waiting import wait_until

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres, pytest.mark.slow]

WORKERS = 3
TERMINALS = 3
ROUNDS, PER_ROUND = 6, 20  # taps per terminal per round
KILL_AFTER_ROUND = 2
WANTED_EVERY = 15


class Worker:
    """``guardpost central`` as a process of its own, with its own settings file and API port."""

    def __init__(self, index: int, database_url: str, broker_port: int, data_dir: Path, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / f"worker-{index}.log"
        self.config = workdir / f"worker-{index}.toml"
        self.config.write_text(
            f'data_dir = "{data_dir}"\n'
            f'database_url = "{database_url}"\n'
            "shared_subscription = true\n"
            f'client_id = "central-w{index}-{uuid.uuid4().hex[:8]}"\n'
            f"[api]\nport = {self.port}\n"
            f"[mqtt]\nport = {broker_port}\nreconnect_max_s = 1\n"
            "[access]\ndemo = true\n"
            "[roster]\nenabled = false\n"
            "[retention]\npurge_enabled = false\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "guardpost", "central", "--config", str(self.config)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                return bool(answer.status == 200)
        except (URLError, OSError):
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _tap(terminal_id: str, seq: int) -> CheckinEvent:
    if seq % WANTED_EVERY == 0:
        return make_event(terminal_id, seq=seq, card_uid="55667788", hit=wanted_hit())
    return make_event(terminal_id, seq=seq)


def test_a_worker_killed_mid_stream_loses_and_doubles_nothing(postgres_engine: Engine, tmp_path: Path) -> None:
    database_url = postgres_engine.url.render_as_string(hide_password=False)
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    workers = [Worker(i, database_url, broker.port, tmp_path / "central", tmp_path) for i in range(WORKERS)]
    terminals = [TerminalUnderTest(add_terminal(postgres_engine), broker.port, tmp_path) for _ in range(TERMINALS)]
    police = Collector.connect(broker.port, [police_alert_topic("110105-WJ")])
    try:
        _start(workers, terminals)
        for round_ in range(ROUNDS):
            for terminal in terminals:
                terminal.tap(PER_ROUND, build=_tap)
            time.sleep(0.3)
            if round_ == KILL_AFTER_ROUND:
                workers[0].kill()
        for terminal in terminals:
            terminal.wait_drained(60)
        matches = {str(e.event_id) for t in terminals for e in t.committed if e.face.watchlist.hit is not None}
        wait_until(
            lambda: matches <= _alert_ids(police),
            40,
            lambda: f"police not told of {len(matches - _alert_ids(police))} of {len(matches)} matches",
        )
        time.sleep(1)  # a second message for any alert would come now
    finally:
        police.close()
        for terminal in terminals:
            terminal.close()
        for worker in workers:
            worker.stop()
        broker.kill()

    for terminal in terminals:
        assert_delivered(postgres_engine, terminal.terminal_id, [e.event_id for e in terminal.committed])
    with Session(postgres_engine) as session:
        ids = [e.event_id for t in terminals for e in t.committed]
        alerts = session.exec(select(func.count()).where(col(Alert.alert_id).in_(ids))).one()
    assert alerts == len(matches) == TERMINALS * ROUNDS * PER_ROUND // WANTED_EVERY
    per_alert = Counter(str(PoliceAlert.model_validate_json(m.payload).alert_id) for m in police.drain())
    assert set(per_alert) == matches
    assert max(per_alert.values()) == 1, f"police told twice of {[a for a, n in per_alert.items() if n > 1]}"


def _start(workers: list[Worker], terminals: list[TerminalUnderTest]) -> None:
    for worker in workers:
        worker.start()  # together: they race for the schema and the accounts as a deployment's workers do
    for worker in workers:
        wait_until(worker.ready, 60, lambda: "a central worker did not become ready")
    for terminal in terminals:
        terminal.start()


def _alert_ids(police: Collector) -> set[str]:
    return {str(PoliceAlert.model_validate_json(m.payload).alert_id) for m in police.drain()}
