"""Shared parts of the delivery fault tests: central and a terminal under test, a cuttable link, the verdict.

Each fault test starts its own Mosquitto (``tests.brokers.PrivateMosquitto``),
real central ingest (``central.checkins.ingest.Ingest``) and a real terminal outbox and
uplink, inflicts its fault, and then asks ``assert_delivered`` whether every
event the terminal committed is stored centrally exactly once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.checkins.ingest import Ingest
from central.checkins.models import Checkin
from central.config import CentralSettings
from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkSettings
from protocol.checkin import CheckinEvent
from protocol.mqtt import MqttSettings
from tests.central_fixtures import make_event

# Short timeouts so that a fault heals within a test's deadline; production uses the defaults.
TEST_UPLINK = UplinkSettings(resend_after_s=1.0, resend_max_s=2.0, heartbeat_s=1.0, window=200)


def wait_until(condition: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    """Poll ``condition`` until it holds; fail with ``describe()`` at the deadline.

    Polling: the conditions are database rows and broker-side state, which offer nothing to wait on.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {describe()}")
        time.sleep(0.05)


class CentralUnderTest:
    """Real ingest on the test's broker; stop() and start() again resume the same MQTT session."""

    def __init__(self, engine: Engine, port: int, data_dir: Path, session_expiry_s: int = 0, **mqtt: Any) -> None:
        self.engine = engine
        self.settings = CentralSettings(
            data_dir=data_dir,
            mqtt=MqttSettings(port=port, session_expiry_s=session_expiry_s, reconnect_max_s=1, **mqtt),
            shared_subscription=True,
            client_id=f"central-test-{uuid.uuid4().hex[:10]}",
        )
        self.ingest: Ingest | None = None

    def start(self, wait: bool = True) -> None:
        self.ingest = Ingest(self.settings, self.engine)
        self.ingest.start()
        if wait:
            assert self.ingest.wait_ready(15), "central did not connect and subscribe"

    def stop(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()
            self.ingest = None


class TerminalUnderTest:
    """A terminal's outbox and uplink (no reader, no camera): ``tap()`` commits events as the pipeline does."""

    def __init__(
        self,
        terminal_id: str,
        port: int,
        workdir: Path,
        settings: UplinkSettings = TEST_UPLINK,
        session_expiry_s: int = 60,
        **mqtt: Any,
    ) -> None:
        self.terminal_id = terminal_id
        self.outbox = Outbox(workdir / f"{terminal_id}.outbox.sqlite3")
        connection = MqttSettings(port=port, session_expiry_s=session_expiry_s, reconnect_max_s=1, **mqtt)
        self.uplink = Uplink(terminal_id, connection, settings, self.outbox)
        self.committed: list[CheckinEvent] = []

    def start(self) -> None:
        self.uplink.start()
        assert self.uplink.wait_connected(10), f"terminal {self.terminal_id} did not connect"

    def tap(self, count: int = 1, build: Callable[[str, int], CheckinEvent] | None = None) -> list[CheckinEvent]:
        make = build or (lambda terminal_id, seq: make_event(terminal_id, seq=seq))
        events = [self.outbox.append(lambda seq: make(self.terminal_id, seq)) for _ in range(count)]
        self.committed.extend(events)
        self.uplink.wake()
        return events

    def wait_drained(self, timeout: float) -> None:
        """Until central has receipted everything (the outbox is empty)."""
        wait_until(
            lambda: self.outbox.stats().depth == 0,
            timeout,
            lambda: f"terminal {self.terminal_id} still holds {self.outbox.stats().depth} unreceipted events",
        )

    def close(self) -> None:
        self.uplink.stop()
        self.outbox.close()


class FlakyLink:
    """TCP proxy 127.0.0.1:<port> -> 127.0.0.1:<target>; ``cut()`` drops every connection, ``restore()`` heals."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.accepted = 0  # connections let through: one per (re)connect of the terminal
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for sock in self._open:
                self._shut(sock)
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            if not self._up.is_set():
                self._shut(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._open += [client, upstream]
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # the other direction or cut() closed it
        self._shut(source)
        self._shut(sink)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@dataclass(frozen=True, slots=True)
class StoredRow:
    event_id: UUID
    seq: int
    received_at: datetime


def stored_rows(engine: Engine, terminal_id: str) -> list[StoredRow]:
    """The terminal's check-ins in central's database, in the order central stored them."""
    with Session(engine) as session:
        rows = session.exec(
            select(Checkin.event_id, Checkin.seq, Checkin.received_at)
            .where(Checkin.terminal_id == terminal_id)
            .order_by(col(Checkin.received_at))
        ).all()
    return [StoredRow(UUID(str(r[0])), int(r[1]), r[2]) for r in rows]


def stored_count(engine: Engine, terminal_id: str) -> int:
    return len(stored_rows(engine, terminal_id))


def assert_delivered(
    engine: Engine, terminal_id: str, committed: Iterable[UUID], *, in_order: bool = False, may_add: int = 0
) -> list[StoredRow]:
    """Every committed event stored, none twice, nothing foreign; ``in_order``: stored in ``seq`` order.

    ``may_add``: how many stored events may be missing from ``committed`` (taps
    committed by a terminal killed before it could report them).
    """
    rows = stored_rows(engine, terminal_id)
    ids = [r.event_id for r in rows]
    seqs = [r.seq for r in rows]
    expected = set(committed)
    lost = expected - set(ids)
    duplicated_ids = len(ids) - len(set(ids))
    duplicated_seqs = sorted({s for s in seqs if seqs.count(s) > 1}) if len(seqs) != len(set(seqs)) else []
    extra = set(ids) - expected
    assert not lost, f"{len(lost)} of {len(expected)} committed events lost: {sorted(map(str, lost))[:20]}"
    assert duplicated_ids == 0, f"{duplicated_ids} events stored twice"
    assert not duplicated_seqs, f"seq stored twice under different event ids: {duplicated_seqs[:20]}"
    assert len(extra) <= may_add, f"{len(extra)} stored events were never committed: {sorted(map(str, extra))[:20]}"
    if in_order:
        inversions = [(a.seq, b.seq) for a, b in zip(rows, rows[1:], strict=False) if b.seq < a.seq]
        assert not inversions, f"stored out of seq order, e.g. seq {inversions[:10]} (earlier, later)"
    return rows
