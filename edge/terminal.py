"""A running site terminal: wires settings, drivers, face work, outbox and uplink, and owns the reader loop.

The reader loop reconnects with capped backoff when the reader goes away and
logs once per outage, not once per attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.checkin import CheckinPipeline, CheckinResult
from edge.commands import CommandRouter
from edge.config import TerminalSettings
from edge.drivers import create_reader
from edge.drivers.base import Camera, CardReader
from edge.drivers.camera import create_camera
from edge.enrolment import Enrolment
from edge.errors import DriverError, ReaderDisconnected, ReaderError, TemplateFileError
from edge.feedback import failed
from edge.fingerprint_check import FingerprintCheck
from edge.outbox import Outbox
from edge.roster import Roster
from edge.roster_sync import RosterSync
from edge.status_file import STATUS_FILE, LocalStatus, ReaderState, pending_age, write_status
from edge.uplink import Uplink
from edge.watchlist import Watchlist
from edge.watchlist_sync import WatchlistSync, load_public_key
from protocol.version import __version__
from shared.clock_sync import clock_synchronized
from shared.face import FaceEngine
from shared.systemd import Watchdog

logger = logging.getLogger(__name__)
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 10.0


def log_feedback(result: CheckinResult) -> None:
    """Default feedback sink: the terminal's log stands in for its screen and speaker."""
    logger.info("[%s] %s", result.feedback.outcome.value, result.feedback.text)


def _load_enrolment(path: Path) -> Enrolment:
    if path.exists():
        return Enrolment.load(path)
    logger.info("no local enrolment file at %s: faces come with central's roster", path)
    return Enrolment()


def _load_roster(path: Path) -> Roster:
    if not path.exists():
        return Roster()
    try:
        return Roster.load(path)
    except TemplateFileError as exc:  # central sends the whole roster again: the status says "missing"
        logger.error("终端名册文件不可用 / roster file unusable, waiting for central's: %s", exc)
        return Roster()


def _load_watchlist(path: Path) -> Watchlist:
    if path.exists():
        return Watchlist.load(path)
    logger.warning("no watchlist at %s: wanted-person checks are off until one is provided", path)
    return Watchlist.empty()


class Terminal:
    def __init__(
        self,
        settings: TerminalSettings,
        on_feedback: Callable[[CheckinResult], None] = log_feedback,
        face: FaceEngine | None = None,
    ) -> None:
        self.settings = settings
        self._on_feedback = on_feedback
        self._stop = threading.Event()
        self._stopping = False
        self._reader_state: ReaderState = "starting"
        self._watchdog = Watchdog()  # fed by the reader loop: a hung tap stops it, and systemd restarts us
        data_dir = settings.data_dir
        self.outbox = Outbox(data_dir / "outbox.sqlite3", settings.outbox_max_rows, settings.outbox_max_bytes)
        self._camera: Camera = create_camera(settings.camera)
        watchlist_path = settings.watchlist_file or data_dir / "watchlist.npz"
        roster_path = data_dir / "roster.json"
        self._fingerprint = (
            FingerprintCheck(settings.fingerprint, settings.finger_wait_s) if settings.fingerprint is not None else None
        )
        self.pipeline = CheckinPipeline(
            terminal_id=settings.terminal_id,
            camera=self._camera,
            face=face or FaceEngine(settings.face),
            face_settings=settings.face,
            enrolment=_load_enrolment(settings.enrolment_file or data_dir / "enrolment.json"),
            watchlist=_load_watchlist(watchlist_path),
            outbox=self.outbox,
            repeat_window_s=settings.repeat_window_s,
            roster=_load_roster(roster_path),
            fingerprint=self._fingerprint,
        )
        self.watchlist_sync: WatchlistSync | None = None
        self.roster_sync: RosterSync | None = None
        sync = settings.watchlist_sync
        if sync is not None:  # one signing key for every command central sends
            key = load_public_key(sync.public_key_file)
            self.watchlist_sync = WatchlistSync(self.pipeline, watchlist_path, key, timedelta(hours=sync.max_age_h))
            self.roster_sync = RosterSync(
                self.pipeline,
                roster_path,
                key,
                settings.terminal_id,
                timedelta(hours=sync.max_age_h),
                on_applied=lambda: self.uplink.report_status(),  # the uplink is built below
            )
        commands = CommandRouter(h for h in (self.watchlist_sync, self.roster_sync) if h is not None)
        self.uplink = Uplink(
            settings.terminal_id,
            settings.mqtt,
            settings.uplink,
            self.outbox,
            status_extra=self._status_extra,
            on_command=commands.handle_command if commands.handlers else None,
        )
        self.pipeline.on_recorded = self.uplink.wake
        self._reader_thread = threading.Thread(target=self._reader_loop, name="reader", daemon=True)
        self._status_thread = threading.Thread(target=self._status_loop, name="status-file", daemon=True)

    def start(self) -> None:
        self.uplink.start()
        self._reader_thread.start()
        self._status_thread.start()

    def stop(self) -> None:
        """Stop once: a second call (a second SIGTERM while stopping) returns at once."""
        if self._stopping:
            return
        self._stopping = True
        self._stop.set()
        self._reader_thread.join(timeout=5)
        self._status_thread.join(timeout=5)
        self._write_status(running=False)
        self.uplink.stop()
        for handler in (self.watchlist_sync, self.roster_sync):
            if handler is not None:
                handler.close()
        self._camera.close()
        if self._fingerprint is not None:
            self._fingerprint.close()
        self.outbox.close()

    def wait(self) -> None:
        self._stop.wait()

    def _status_extra(self) -> dict[str, str | None]:
        fields: dict[str, str | None] = {
            "software_version": __version__,
            "watchlist_version": self.pipeline.watchlist.version,
        }
        if self.watchlist_sync is not None:
            fields |= self.watchlist_sync.status_fields()
        if self.roster_sync is not None:
            fields |= self.roster_sync.status_fields()
        return fields

    def local_status(self, *, running: bool = True) -> LocalStatus:
        now = datetime.now(UTC)
        stats = self.outbox.stats()
        extra = self._status_extra()
        return LocalStatus(
            terminal_id=self.settings.terminal_id,
            at=now,
            running=running,
            software_version=__version__,
            uplink_connected=self.uplink.connected,
            reader=self._reader_state,
            camera=self.pipeline.camera_state,
            camera_error=self.pipeline.camera_error,
            outbox_depth=stats.depth,
            outbox_bytes=stats.bytes,
            oldest_pending_s=pending_age(now, stats.oldest_created_at),
            roster_version=extra.get("roster_version"),
            roster_stale=extra.get("roster_stale"),
            watchlist_version=extra.get("watchlist_version"),
            watchlist_stale=extra.get("watchlist_stale"),
            clock_synchronized=clock_synchronized(),
        )

    def _status_loop(self) -> None:
        """``<data_dir>/status.json`` at start and every heartbeat, connected or not."""
        while True:
            self._write_status(running=True)
            if self._stop.wait(self.settings.uplink.heartbeat_s):
                return

    def _write_status(self, *, running: bool) -> None:
        try:
            write_status(self.settings.data_dir / STATUS_FILE, self.local_status(running=running))
        except OSError:  # a full or read-only disk must not stop check-ins
            logger.exception("status file not written")

    def _reader_loop(self) -> None:
        reader: CardReader | None = None
        delay = RECONNECT_MIN_S
        in_outage = False
        while not self._stop.is_set():
            self._watchdog.kick()
            if reader is None:
                try:
                    reader = create_reader(self.settings.reader)
                except (DriverError, OSError) as exc:
                    self._reader_state = "unavailable"
                    if not in_outage:
                        logger.warning("读卡器不可用 / card reader unavailable: %s; retrying", exc)
                        in_outage = True
                    self._stop.wait(delay)
                    delay = min(delay * 2, RECONNECT_MAX_S)
                    continue
                if in_outage:
                    logger.info("读卡器已恢复 / card reader back")
                in_outage, delay = False, RECONNECT_MIN_S
                self._reader_state = "ok"
            reader = self._read_once(reader)
            if reader is None:
                in_outage = True
                self._reader_state = "unavailable"
        if reader is not None:
            reader.close()

    def _read_once(self, reader: CardReader) -> CardReader | None:
        """Serve one read; returns None when the reader is gone and must be reopened."""
        try:
            read = reader.read(timeout=0.5)
        except ReaderDisconnected as exc:
            logger.warning("读卡器已断开 / card reader disconnected: %s; reconnecting", exc)
            reader.close()
            return None
        except ReaderError as exc:
            logger.warning("读卡错误 / bad card read: %s", exc)
            return reader
        if read is not None:
            try:
                result = self.pipeline.handle(read)
            except Exception:  # a fault in one tap must not stop the terminal; the guard is told
                logger.exception("check-in failed")
                self._on_feedback(CheckinResult(event=None, feedback=failed()))
                return reader
            if result is not None:
                self._on_feedback(result)
        return reader
