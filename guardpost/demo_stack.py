"""Everything the demo runs, started in order and stopped in reverse.

Broker -> central (API + ingest on SQLite, seeded registry, the cast's faces
enrolled centrally, a signing key) -> police consumer -> the wanted list for the
terminal -> reader and camera mocks -> terminal, which receives its signed roster
(guards, cards, templates, the verdict of the day) from central before the first tap.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import uvicorn
from sqlmodel import Session

from central.app import create_app, server_options
from central.config import AccessSettings, ApiSettings, CentralSettings
from central.db.engine import make_engine
from central.demo.seed import seed_check_examples, seed_demo_registry
from central.registry.faces import enrol_photos, templates_of
from central.registry.fingerprints import enrol_fingerprint
from central.registry.models import Terminal as TerminalRecord
from central.registry.snapshot import local_date
from central.schema import create_db
from central.watchlist.faces import enrol
from central.watchlist.models import WatchlistEntry as CentralWatchlistEntry
from central.watchlist.portraits import FilePortraits
from central.watchlist.store import current_revision, save_entry
from central.watchlist.sync import generate_keys
from edge.checkin import CheckinResult
from edge.config import TerminalSettings
from edge.drivers.camera import SnapshotCameraConfig
from edge.drivers.fingerprint import FingerprintConfig
from edge.terminal import Terminal
from edge.watchlist import WatchlistEntry, build_watchlist
from edge.watchlist_sync import WatchlistSyncSettings
from firmware_mocks.camera import MockCamera
from firmware_mocks.fingerprint import FingerprintMock
from firmware_mocks.fingerprint.fingers import finger_template
from firmware_mocks.readers import create_mock
from guardpost.broker import EmbeddedBroker
from guardpost.demo_script import (
    FINGERS,
    GUARDS,
    JURISDICTION,
    TERMINAL_ID,
    WANTED_ID,
    WANTED_ID_NUMBER,
    WANTED_NAME,
    WANTED_SUBJECT,
    faces_dir,
)
from guardpost.police_feed import PoliceFeed
from guardpost.ports import check_api_port
from protocol.messages import PoliceAlert
from protocol.mqtt import MqttSettings
from shared.face import FaceEngine, FaceSettings

DELIVERY_TIMEOUT_S = 30.0
WANTED_PHOTOS = (9, 10)  # the wanted person's list photos, on the terminal and at central


def _enrol_cast(session: Session) -> None:
    """Each guard's registration photos (and 李娜's right index finger) enrolled at central."""
    for guard_id, finger in FINGERS.items():  # as an enrolment station's module uploads it (UpChar)
        enrol_fingerprint(session, guard_id, 1, finger_template(finger))
    for guard in GUARDS:
        if templates_of(session, [guard.guard_id]):
            continue  # enrolled by an earlier run on this data folder
        photos = [(path.name, path.read_bytes()) for path in guard.enrolment_photos()]
        result = enrol_photos(session, guard.guard_id, photos)
        if result.templates == 0:
            raise RuntimeError(f"no usable enrolment photo for {guard.guard_id}: {result.photos}")
    session.commit()


def _enrol_wanted(session: Session, data_dir: Path) -> None:
    """The wanted person's photos enrolled at central too (version r1 of its list), so that what the
    watchlist page signs and pushes is the list the terminal was provisioned with, and grows from it."""
    if current_revision(session) is not None:
        return  # an earlier run on this data folder
    entry = session.get(CentralWatchlistEntry, WANTED_ID)
    if entry is None:
        raise RuntimeError(f"the demo seed lists {WANTED_ID}")
    enrolled = enrol([(faces_dir() / WANTED_SUBJECT / f"{k}.pgm").read_bytes() for k in WANTED_PHOTOS])
    save_entry(session, entry, enrolled.templates)
    FilePortraits(data_dir).save(WANTED_ID, enrolled.portrait_jpeg)  # the demo keeps its photos as files


class DemoStack:
    """With no ``mqtt`` an embedded broker is started; with no ``database_url`` central uses SQLite."""

    def __init__(
        self,
        data_dir: Path,
        api_port: int,
        on_feedback: Callable[[CheckinResult], None],
        mqtt: MqttSettings | None = None,
        database_url: str | None = None,
        terminal_id: str = TERMINAL_ID,
    ) -> None:
        self.data_dir = data_dir
        self.api_port = api_port
        self._on_feedback = on_feedback
        self._mqtt = mqtt
        self._database_url = database_url
        # Another id than the seeded gate's lets runs share one broker without taking each other's events.
        self.terminal_id = terminal_id
        self._stack = contextlib.ExitStack()
        self._stop = threading.Event()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()

    def _start(self) -> None:
        if self._mqtt is None:
            broker = self._stack.enter_context(EmbeddedBroker())
            mqtt = MqttSettings(port=broker.port, protocol="3.1.1")
        else:
            mqtt = self._mqtt
        self.mqtt = mqtt
        self._start_central(mqtt)
        self.police = self._stack.enter_context(PoliceFeed(mqtt, JURISDICTION))
        face_settings = FaceSettings()
        engine = FaceEngine(face_settings)
        terminal_dir = self.data_dir / "terminal"
        self._write_watchlist(engine, terminal_dir)
        self.reader = self._stack.enter_context(create_mock("pn532"))
        self.reader.start()
        self.fingerprint = self._stack.enter_context(FingerprintMock())
        self.camera = self._stack.enter_context(MockCamera())
        settings = TerminalSettings(
            terminal_id=self.terminal_id,
            data_dir=terminal_dir,
            reader={"type": "pn532", "port": self.reader.port},
            camera=SnapshotCameraConfig(url=self.camera.url),
            mqtt=mqtt,
            face=face_settings,
            repeat_window_s=0.5,  # the script taps a card again within seconds
            watchlist_sync=WatchlistSyncSettings(public_key_file=self._public_key),
            fingerprint=FingerprintConfig(port=self.fingerprint.port),
            finger_wait_s=3.0,
        )
        self.terminal = Terminal(settings, on_feedback=self._on_feedback, face=engine)
        self.terminal.start()
        self._stack.callback(self.terminal.stop)
        if not self.terminal.uplink.wait_connected(10):
            raise RuntimeError("terminal could not connect to the embedded broker")
        self._wait_roster()

    def _wait_roster(self, timeout: float = DELIVERY_TIMEOUT_S) -> None:
        """Until the terminal holds the roster central signed for it (its verdicts answer the taps)."""
        deadline = time.monotonic() + timeout
        while not self.terminal.pipeline.roster.held:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the terminal received no roster from central within {timeout} s")
            time.sleep(0.05)

    def _signing_keys(self) -> Path:
        """Central's command-signing key pair (made once per data folder); the terminal trusts the public key."""
        keys = self.data_dir / "central" / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        private, self._public_key = keys / "signing.pem", keys / "signing.pub.pem"
        if not private.exists():
            generate_keys(private, self._public_key)
        return private

    def _start_central(self, mqtt: MqttSettings) -> None:
        settings = CentralSettings(
            data_dir=self.data_dir / "central",
            database_url=self._database_url,
            # The session ends with the demo: a lingering member of the share group would take events.
            mqtt=mqtt.model_copy(update={"session_expiry_s": 0}),
            shared_subscription=mqtt.protocol == "5",
            share_group=f"demo-{uuid.uuid4().hex[:8]}",
            client_id=f"guardpost-demo-central-{uuid.uuid4().hex[:8]}",
            api=ApiSettings(port=self.api_port),
            public_url=self.api_url,
            access=AccessSettings(demo=True),  # demo accounts and the demo API key (central.access.auth.DEMO_ACCOUNTS)
            signing_key_file=self._signing_keys(),
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url_resolved, id_cipher=settings.id_cipher())
        create_db(engine)
        with Session(engine) as session:
            seed_demo_registry(session)
            seed_check_examples(session, local_date(datetime.now(UTC)))
            if self.terminal_id != TERMINAL_ID:
                gate = session.get(TerminalRecord, TERMINAL_ID)
                assert gate is not None, "the demo seed registers the gate terminal"
                session.add(TerminalRecord.model_validate(gate.model_dump() | {"id": self.terminal_id}))
                session.commit()
            _enrol_cast(session)
            _enrol_wanted(session, settings.data_dir)
        options = server_options(settings) | {"host": "127.0.0.1", "port": self.api_port}
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                **options,
                log_level="warning",
                timeout_graceful_shutdown=2,  # live-alert streams would hold the shutdown
            )
        )
        thread = threading.Thread(target=server.run, name="central-api", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                check_api_port(self.api_port)  # taken since the demo checked it: a configuration error
                raise RuntimeError(f"central did not start on port {self.api_port}")
            time.sleep(0.05)

        def stop_server() -> None:
            server.should_exit = True
            thread.join(timeout=10)

        self._stack.callback(stop_server)

    def _write_watchlist(self, engine: FaceEngine, terminal_dir: Path) -> None:
        """The wanted list as provisioned on the terminal: templates, not images."""
        terminal_dir.mkdir(parents=True, exist_ok=True)
        wanted = WatchlistEntry(WANTED_ID, WANTED_NAME, WANTED_ID_NUMBER, note="网上逃犯 / wanted")
        photos = [faces_dir() / WANTED_SUBJECT / f"{k}.pgm" for k in WANTED_PHOTOS]
        build_watchlist(engine, [(wanted, photos)]).save(terminal_dir / "watchlist.npz")

    def wait_delivered(self, timeout: float = DELIVERY_TIMEOUT_S) -> None:
        """Until central has receipted every event (the terminal's outbox is empty)."""
        deadline = time.monotonic() + timeout
        while self.terminal.outbox.stats().depth > 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"events not receipted by central within {timeout} s")
            time.sleep(0.05)

    def police_alerts(self) -> list[PoliceAlert]:
        return self.police.alerts(self.terminal_id)

    def wait_forever(self) -> None:
        self._stop.wait()
