"""Storage outages as ingest sees them: one log line when writes stop, one when they work again.

While the database (or the photo disk) is down every message fails, and each
is sent again by its terminal: a traceback per event per retry would bury
everything else in the log. ``Outage`` says once what went wrong, counts the
writes that failed, and says once, with the counts, when a write succeeds
again. An error that is not an outage (a bug, one bad row) is still logged
with its traceback by the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)


def is_outage(exc: BaseException) -> bool:
    """The database unreachable or refusing work, or the disk failing: not a fault of the message."""
    if isinstance(exc, OperationalError | OSError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Outage:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failed = 0
        self._messages = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException, messages: int) -> None:
        """``messages`` were not stored (nor receipted) because of ``exc``; said once per outage."""
        with self._lock:
            first = self._since is None
            if first:
                self._since = self._clock()
            self._failed += 1
            self._messages += messages
        if first:
            cause = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            logger.error(
                "storage unavailable (%s: %s): nothing is receipted, terminals keep their events and send them again",
                type(exc).__name__, cause,
            )  # fmt: skip

    def recovered(self) -> None:
        """A write succeeded: if there was an outage, say that it is over and what it cost."""
        with self._lock:
            if self._since is None:
                return
            lasted, failed, messages = self._clock() - self._since, self._failed, self._messages
            self._since, self._failed, self._messages = None, 0, 0
        logger.warning(
            "storage available again after %.0f s: %d writes of %d messages failed meanwhile (terminals re-send them)",
            lasted, failed, messages,
        )  # fmt: skip
