"""Pushing database changes to open pages: a hub polls while anyone listens and fans out what each may read.

Ingest may run in another process, so the database is the one place every new
row is seen. A ``PollingHub`` polls a few times a second while it has
subscribers, asks its ``_poll`` what changed for each listener's key (its
scope: who may read what is the subclass's rule), and puts it on their queues;
``sse_stream`` is the body of a server-sent events response that follows one
queue for a while (a stream that never ends would hold up a graceful shutdown:
the browser reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from central.db.outage import Outage, is_outage

logger = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

POLL_S = 0.25
STREAM_MAX_S = 30.0
KEEPALIVE_S = 10.0


class PollingHub(Generic[T, K]):
    def __init__(self, poll_s: float, outage: Outage) -> None:
        self._poll_s = poll_s
        self._subscribers: dict[asyncio.Queue[T], K] = {}
        self._outage = outage

    @property
    def listeners(self) -> int:
        return len(self._subscribers)

    def subscribe(self, key: K) -> asyncio.Queue[T]:
        if not self._subscribers:
            self._restart()
        queue: asyncio.Queue[T] = asyncio.Queue(maxsize=1000)
        self._subscribers[queue] = key
        return queue

    def unsubscribe(self, queue: asyncio.Queue[T]) -> None:
        self._subscribers.pop(queue, None)

    def _restart(self) -> None:
        """The first listener: only changes from now on."""

    def _poll(self, keys: set[K]) -> dict[K, list[T]]:
        """What changed since the last poll, per listening key: what that key may read."""
        raise NotImplementedError

    async def run(self) -> None:
        """Poll while anyone listens; runs until cancelled."""
        while True:
            await asyncio.sleep(self._poll_s)
            if not self._subscribers:
                continue
            listeners = list(self._subscribers.items())
            try:
                changes = await asyncio.to_thread(self._poll, {key for _queue, key in listeners})
            except SQLAlchemyError as exc:
                if not is_outage(exc):
                    logger.warning("%s poll failed; retrying", type(self).__name__, exc_info=True)
                self._outage.failed(exc)
                continue
            self._outage.recovered()
            for queue, key in listeners:
                for item in changes.get(key, ()):
                    with contextlib.suppress(asyncio.QueueFull):  # a stalled page misses pushes, not the server
                        queue.put_nowait(item)


async def sse_stream(
    hub: PollingHub[T, K],
    key: K,
    event: Callable[[T], str],
    replay: Callable[[], Iterable[T]] | None = None,
    max_s: float = STREAM_MAX_S,
) -> AsyncIterator[str]:
    """The SSE body: what ``replay`` gives (run in a thread), then each change as ``event`` words it, keep-alives."""
    queue = hub.subscribe(key)  # before the replay, so that nothing falls between the two
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    try:
        yield "retry: 1000\n: connected\n\n"
        if replay is not None:
            for item in await asyncio.to_thread(lambda: list(replay())):
                yield event(item)
        while (left := deadline - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=min(left, KEEPALIVE_S))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield event(item)
    finally:
        hub.unsubscribe(queue)
