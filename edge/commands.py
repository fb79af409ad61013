"""Central's signed commands on the terminal: queued off the MQTT network thread, applied one at a time.

``CommandHandler`` is the part the watchlist (``edge.watchlist_sync``) and the
roster (``edge.roster_sync``) share: ``handle_command(topic, payload)`` is the
uplink's hook; a command of the handler's schemas is queued and applied in
arrival order on one worker thread (paho's network thread must not build an
index or verify a large roster); a refused command is logged and the state in
use stays. ``CommandRouter`` hands each command to every handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from edge.errors import EdgeError
from protocol.signed import schema_of

logger = logging.getLogger(__name__)


class CommandHandler:
    """Subclasses set ``schemas``, ``what``, ``what_zh`` (for the log), ``refused`` (their errors), ``process``."""

    schemas: frozenset[str] = frozenset()
    what = "command"
    what_zh = "指令"
    refused: type[EdgeError] = EdgeError

    def __init__(self) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.what}-sync")

    def handle_command(self, topic: str, payload: bytes) -> None:
        """Queue a command of this handler's schemas; ignore others. Returns at once."""
        if schema_of(payload) not in self.schemas:
            return
        self._worker.submit(self._process_logged, payload)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until the queued commands are applied (tests, shutdown)."""
        self._worker.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    def process(self, payload: bytes) -> object:
        raise NotImplementedError

    def _process_logged(self, payload: bytes) -> object:
        try:
            return self.process(payload)
        except self.refused as exc:
            logger.error("%s更新被拒绝 / %s update refused: %s", self.what_zh, self.what, exc)
        except Exception:  # the worker thread's top: the state in use stays
            logger.exception("%s update failed", self.what)
        return None


class CommandRouter:
    """The uplink's one command hook: every handler sees every command and takes its own schemas."""

    def __init__(self, handlers: Iterable[CommandHandler]) -> None:
        self.handlers = tuple(handlers)

    def handle_command(self, topic: str, payload: bytes) -> None:
        for handler in self.handlers:
            handler.handle_command(topic, payload)
