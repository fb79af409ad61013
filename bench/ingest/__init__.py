"""Ingest throughput: N simulated terminals -> Mosquitto -> central -> PostgreSQL, receipted end to end.

Beside it, in the same run and through the same broker, the broker's own raw
QoS 1 rate: the same terminals publishing to a subscriber that only counts
(no central). ``ratio`` is central's end-to-end rate over that raw rate.

A simulated terminal keeps at most ``--window`` events unconfirmed, as the
uplink does: until central's receipt end to end, until the subscriber has the
message for the raw rate (the broker's PUBACK paces it). Central runs in its own
process, as in production; PostgreSQL gets a throw-away database that is
dropped afterwards.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

import psycopg
from sqlmodel import Session

from bench.databases import throwaway
from bench.ingest.fleet import Fleet, event_template
from central.config import CentralSettings
from central.db.engine import make_engine
from central.db.sealing import DEMO_CIPHER
from central.demo.month import card_of, seed_registry, site_ids
from central.schema import create_db
from protocol.errors import ConfigError
from protocol.mqtt import MqttSettings, create_client
from protocol.topics import EVENT_FILTER

_BROKER_CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 100
max_queued_messages 20000
max_packet_size 8388608
"""
# Cards each terminal taps in turn: a full batch (500 events over 10 terminals) holds no card twice.
GUARDS_PER_SITE = 50


def _worker_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise ConfigError(f"--workers 应为正整数列表 / --workers takes positive whole numbers, e.g. 1,2: {text!r}")
    return counts


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    workers = _worker_counts(args.workers)
    _check_services(args.database_url)
    logging.getLogger("central").setLevel(logging.WARNING)
    variants = {"both": [False, True], "with": [True], "without": [False]}[args.photos]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="gp-bench-ingest-") as tmp, _Broker(Path(tmp)) as broker:
        fleet = Fleet(broker.port, _cards(args.terminals), args.window)
        try:
            raw = {photo: _raw_rate(broker.port, fleet, args.events, photo) for photo in variants}
            with _database(args.database_url, args.terminals) as url:
                for count in workers:
                    # The workers of one host share its data folder, as deployed; each has its own connection.
                    with ExitStack() as centrals:
                        for _ in range(count):
                            centrals.enter_context(_Central(url, broker.port, Path(tmp), args.photo_store))
                        for photo in variants:
                            rows.append(_row(photo, raw[photo], _end_to_end(fleet, args.events, photo), args, count))
                _speedups(rows)
        finally:
            fleet.close()
    return rows


def _speedups(rows: list[dict[str, object]]) -> None:
    """Each row's rate over the one-worker rate of the same photos, when one worker was measured."""
    single = {row["photos"]: float(str(row["central_events_per_s"])) for row in rows if row["workers"] == 1}
    for row in rows:
        base = single.get(row["photos"])
        row["speedup"] = round(float(str(row["central_events_per_s"])) / base, 2) if base else None


def _row(photo: bool, raw: float, e2e: dict[str, float], args: argparse.Namespace, workers: int) -> dict[str, object]:
    return {
        "photos": "with" if photo else "without",
        "photo_store": args.photo_store,
        "workers": workers,
        "cores": os.cpu_count(),
        "terminals": args.terminals,
        "events": args.events,
        "event_bytes": int(e2e["bytes"]),
        "central_events_per_s": round(e2e["rate"]),
        "broker_raw_qos1_per_s": round(raw),
        "ratio": round(e2e["rate"] / raw, 3),
        "p50_ms": round(e2e["p50_ms"], 1),
        "p99_ms": round(e2e["p99_ms"], 1),
    }


def _end_to_end(fleet: Fleet, events: int, photo: bool) -> dict[str, float]:
    template = event_template(photo)
    fleet.run_receipted(template, min(events // 10, 1000))  # warm-up: connections, caches, JIT of the DB plans
    elapsed, latencies = fleet.run_receipted(template, events)
    return {
        "rate": events / elapsed,
        "bytes": len(template),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
    }


def _raw_rate(port: int, fleet: Fleet, events: int, photo: bool) -> float:
    """Messages per second from the fleet to one counting subscriber (shared subscription, QoS 1)."""
    template = event_template(photo)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    ready = ctx.Event()
    counter = ctx.Process(target=_count_messages, args=(port, events, ready, child), daemon=True)
    counter.start()
    try:
        if not ready.wait(15):
            raise RuntimeError("counting subscriber did not subscribe")
        started = time.monotonic()
        fleet.run_published(template, events)
        if not parent.poll(120):
            raise RuntimeError("counting subscriber did not receive every message")
        finished: float = parent.recv()
    finally:
        counter.terminate()
        counter.join(10)
    return events / (finished - started)


def _count_messages(port: int, expected: int, ready: MpEvent, report: Connection) -> None:
    """Subscriber process: count QoS 1 messages; report the monotonic time of the last one."""
    client = create_client(MqttSettings(port=port, session_expiry_s=0), client_id=f"bench-raw-{uuid.uuid4().hex[:8]}")
    count = 0

    def on_message(*_args: object) -> None:
        nonlocal count
        count += 1
        if count == expected:
            report.send(time.monotonic())

    client.on_message = on_message
    client.on_subscribe = lambda *_args: ready.set()
    client.on_connect = lambda c, *_args: c.subscribe(f"$share/raw/{EVENT_FILTER}", qos=1)
    client.connect("127.0.0.1", port)
    client.loop_forever()


def _check_services(server_url: str) -> None:
    """Fail before measuring when Mosquitto is not installed or PostgreSQL does not answer."""
    if not Path(_mosquitto()).is_file():
        raise ConfigError("找不到 mosquitto / mosquitto is not installed: apt-get install mosquitto")
    try:
        psycopg.connect(server_url, autocommit=True, connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        shown = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", server_url)  # never print a password
        raise ConfigError(f"无法连接 PostgreSQL / cannot connect to {shown}: {reason}; "
                          "start it, or give --database-url") from exc  # fmt: skip


def _mosquitto() -> str:
    return shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class _Broker:
    """A private Mosquitto on a free port, configured as deploy/mosquitto for queues and limits."""

    def __init__(self, workdir: Path) -> None:
        binary = _mosquitto()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        config = workdir / "mosquitto.conf"
        config.write_text(_BROKER_CONFIG.format(port=self.port))
        self._args = [binary, "-c", str(config)]
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Broker:
        # The mosquitto found on PATH with a configuration written above: no outside input.
        self._process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not start") from None
                time.sleep(0.05)  # polling a port that is not open yet

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)


def _cards(terminals: int) -> dict[str, list[str]]:
    """Each site's terminal and its guards' cards (``central.demo.month``'s registry, one site per terminal)."""
    return {f"MT-{site}": [card_of(i, k) for k in range(GUARDS_PER_SITE)] for i, site in enumerate(site_ids(terminals))}


@contextmanager
def _database(server_url: str, terminals: int) -> Iterator[str]:
    """A throw-away PostgreSQL database with a site, its terminal and its guards for each simulated terminal."""
    with throwaway(server_url) as url:
        engine = make_engine(url, id_cipher=DEMO_CIPHER)  # synthetic registry: the demo's key
        create_db(engine)
        with Session(engine) as session:
            seed_registry(session, sites=terminals, guards_per_site=GUARDS_PER_SITE)
        engine.dispose()
        yield url


class _Central:
    """Central ingest in its own process (as deployed), connected and subscribed on entry."""

    def __init__(self, database_url: str, port: int, workdir: Path, photo_store: str) -> None:
        ctx = mp.get_context("spawn")
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._process = ctx.Process(
            target=_central_main,
            args=(database_url, port, str(workdir / "central"), photo_store, self._ready, self._stop),
            daemon=True,
        )

    def __enter__(self) -> _Central:
        self._process.start()
        if not self._ready.wait(30):
            self._process.terminate()
            raise RuntimeError("central did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._process.join(30)


def _central_main(database_url: str, port: int, data_dir: str, photo_store: str, ready: MpEvent, stop: MpEvent) -> None:
    from central.checkins.ingest import Ingest

    logging.basicConfig(level=logging.WARNING)
    settings = CentralSettings(
        data_dir=Path(data_dir),
        database_url=database_url,
        mqtt=MqttSettings(port=port, session_expiry_s=0),
        shared_subscription=True,
        client_id=f"bench-central-{uuid.uuid4().hex[:8]}",
        photo_store=photo_store,
    )
    engine = make_engine(database_url, id_cipher=DEMO_CIPHER)
    ingest = Ingest(settings, engine)
    ingest.start()
    if ingest.wait_ready(15):
        ready.set()
    stop.wait()
    ingest.stop()
    engine.dispose()
