"""systemd's service notifications (``sd_notify``): ready, watchdog, stopping; nothing outside systemd.

The protocol is one datagram of ``KEY=VALUE`` lines sent to the Unix socket
named by ``$NOTIFY_SOCKET`` (an abstract socket when the name starts with
``@``), so no library is needed. A unit with ``WatchdogSec=`` sets
``$WATCHDOG_USEC``; the service must send ``WATCHDOG=1`` more often than that,
from the loop whose progress it vouches for, or systemd restarts it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def notify(*states: str) -> bool:
    """Send ``states`` (e.g. ``"READY=1"``) to systemd; False when not started by systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall("\n".join(states).encode())
    except OSError as exc:  # systemd gone (shutdown) or a stale variable: nothing to tell
        logger.warning("systemd notification %s not sent: %s", states, exc)
        return False
    return True


def watchdog_interval_s() -> float | None:
    """How often to send ``WATCHDOG=1``: half of ``WatchdogSec``; None when the watchdog is off for this process."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


class Watchdog:
    """``kick()`` from a loop at any rate: ``WATCHDOG=1`` goes out at most once per interval."""

    def __init__(self, interval_s: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s if interval_s is not None else watchdog_interval_s()
        self._clock = clock
        self._next = 0.0

    def kick(self) -> None:
        if self.interval_s is None:
            return
        now = self._clock()
        if now >= self._next:
            self._next = now + self.interval_s
            notify("WATCHDOG=1")
