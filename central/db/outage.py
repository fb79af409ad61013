"""Outages of the database (or the disk) as a worker sees them: one log line when they start, one when they end.

While the database is down every attempt fails, and is tried again (ingest:
each event, by its terminal; the live alert stream: every poll): a traceback
per attempt would bury everything else in the log. ``Outage`` says once what
went wrong and what that means, counts the attempts that failed, and says
once, with the counts, when one succeeds again. An error that is not an
outage (a bug, one bad row) is still logged with its traceback by the caller.
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
    def __init__(self, name: str, consequence: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._name = name  # what is unavailable, for whom
        self._consequence = consequence  # what that means meanwhile
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failed = 0
        self._items = 0

    def failed(self, exc: BaseException, items: int = 1) -> None:
        """An attempt on ``items`` (events, messages) failed because of ``exc``; said once per outage."""
        with self._lock:
            first = self._since is None
            if first:
                self._since = self._clock()
            self._failed += 1
            self._items += items
        if first:
            cause = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            logger.error("%s unavailable (%s: %s): %s", self._name, type(exc).__name__, cause, self._consequence)

    def recovered(self) -> None:
        """An attempt succeeded: if there was an outage, say that it is over and what it cost."""
        with self._lock:
            if self._since is None:
                return
            lasted, failed, items = self._clock() - self._since, self._failed, self._items
            self._since, self._failed, self._items = None, 0, 0
        logger.warning(
            "%s available again after %.0f s: %d attempts on %d items failed meanwhile",
            self._name,
            lasted,
            failed,
            items,
        )
