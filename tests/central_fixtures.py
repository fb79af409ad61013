"""Shared test helpers for central: event factory, databases (SQLite, PostgreSQL), a private Mosquitto.

Fixtures are named ``<name>_fixture`` and registered as ``<name>``; a test module imports
the ``*_fixture`` functions it uses, and those they depend on.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from central.config import IdProtectionSettings
from central.db.engine import make_engine
from central.db.sealing import new_key
from central.demo.seed import seed_demo_registry
from central.registry.models import Terminal
from central.schema import create_db
from firmware_mocks.events import small_photo, synthetic_event
from protocol.checkin import (
    CheckinEvent,
    WatchlistHit,
)

# 2026-03-02 09:00 in Beijing: inside the demo contracts and the S2 day shift.
DEFAULT_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PG_URL = os.environ.get("GUARDPOST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# Settings outside demo mode need a key of their own (the demo key is refused there).
TEST_ID_PROTECTION = IdProtectionSettings(key=SecretStr(new_key()))


def tiny_jpeg() -> bytes:
    return small_photo().jpeg()


def make_event(terminal_id: str = "T-S2-GATE", **fields: Any) -> CheckinEvent:
    """A valid check-in event; defaults are an in-order tap of G1 at the S2 gate on DEFAULT_AT."""
    fields.setdefault("occurred_at", DEFAULT_AT)
    return synthetic_event(terminal_id, **fields)


def wanted_hit(entry_id: str = "W-0001", score: float = 0.71) -> WatchlistHit:
    return WatchlistHit(entry_id=entry_id, score=score, threshold=0.45, matched_by="face")


# --- databases ----------------------------------------------------------------------------


@pytest.fixture(scope="session", name="pg_url")
def pg_url_fixture() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session."""
    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("GUARDPOST_REQUIRE_SERVICES"):  # scripts/test: a missing database is a failure
            pytest.fail(f"PostgreSQL not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seeded(url: str) -> Engine:
    engine = make_engine(url)
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    return engine


@pytest.fixture(scope="session", name="sqlite_engine")
def sqlite_engine_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _seeded(f"sqlite:///{tmp_path_factory.mktemp('central-db') / 'central.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", name="postgres_engine")
def postgres_engine_fixture(pg_url: str) -> Iterator[Engine]:
    engine = _seeded(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], name="engine")
def engine_fixture(request: pytest.FixtureRequest) -> Engine:
    """The seeded demo registry on SQLite and on PostgreSQL (shared per session)."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


def add_terminal(engine: Engine, site_id: str = "S2", min_level: int | None = None) -> str:
    """Register a fresh terminal so that tests never share one."""
    terminal_id = f"T-test-{uuid.uuid4().hex[:10]}"
    with Session(engine) as session:
        session.add(Terminal(id=terminal_id, site_id=site_id, post_name_zh="测试岗", min_level=min_level))
        session.commit()
    return terminal_id


# --- MQTT ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mosquitto(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """A private Mosquitto on ``port`` (a free one by default), accepting connections on return."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        if os.environ.get("GUARDPOST_REQUIRE_SERVICES"):
            pytest.fail("mosquitto not installed: scripts/test installs it")
        pytest.skip("mosquitto not installed")
    port = port or _free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mosquitto did not start: {proc.stderr.read() if proc.stderr else b''!r}")
            time.sleep(0.05)  # polling a port that is not open yet; nothing to wait on


def stop_mosquitto(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session", name="mosquitto")
def mosquitto_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A private Mosquitto: wildcard subscribers of other test runs on the shared :1883 would
    take (and receipt) this run's events, and ours theirs."""
    proc, port = start_mosquitto(tmp_path_factory.mktemp("mosquitto"))
    yield port
    stop_mosquitto(proc)


@dataclass
class Collector:
    """A paho client that records every message on the topics it subscribes to."""

    client: mqtt.Client
    messages: queue.Queue[mqtt.MQTTMessage] = field(default_factory=queue.Queue)
    seen: list[mqtt.MQTTMessage] = field(default_factory=list)

    @classmethod
    def connect(cls, port: int, topics: list[str]) -> Collector:
        """Connected and subscribed to ``topics`` (SUBACK awaited)."""
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:10]}")
        result = cls(client)
        subscribed = threading.Event()
        client.on_message = lambda _c, _u, msg: result.messages.put(msg)
        client.on_subscribe = lambda *_args: subscribed.set()
        client.connect("127.0.0.1", port)
        client.loop_start()
        if topics:
            client.subscribe([(topic, 1) for topic in topics])
            assert subscribed.wait(5), "SUBACK not received"
        return result

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait_for(
        self, predicate: Callable[[mqtt.MQTTMessage], bool], count: int = 1, timeout: float = 10.0
    ) -> list[mqtt.MQTTMessage]:
        """All messages so far matching ``predicate``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while len(matches := [m for m in self.seen if predicate(m)]) < count:
            left = deadline - time.monotonic()
            try:
                self.seen.append(self.messages.get(timeout=max(left, 0)))
            except queue.Empty:
                raise AssertionError(
                    f"{len(matches)} of {count} matching messages within {timeout} s; "
                    f"seen {[m.topic for m in self.seen]}"
                ) from None
        return matches

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)


@pytest.fixture(name="collector")
def collector_fixture(mosquitto: int) -> Iterator[Callable[[list[str]], Collector]]:
    """``collector([topics])``: a client on the session's broker, subscribed to ``topics``."""
    started: list[Collector] = []

    def start(topics: list[str]) -> Collector:
        started.append(Collector.connect(mosquitto, topics))
        return started[-1]

    yield start
    for collector in started:
        collector.close()
