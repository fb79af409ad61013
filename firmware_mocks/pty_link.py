"""A raw pseudo-terminal pair standing in for a USB-serial reader.

The mock keeps the master side; drivers open the slave by its path (or by a
stable symlink, like ``/dev/serial/by-id``). Closing the master is exactly what
a driver sees when the reader is unplugged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tty

logger = logging.getLogger(__name__)


class PtyLink:
    """Master side of a pty; ``path`` is what a driver opens."""

    def __init__(self, link: str | None = None) -> None:
        self.link = link
        self.master: int | None = None
        self._slave: int | None = None
        self.tty_path = ""

    @property
    def path(self) -> str:
        return self.link or self.tty_path

    @property
    def is_open(self) -> bool:
        return self.master is not None

    def open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        # Non-blocking: a real UART drops bytes nobody reads instead of stalling the device.
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.tty_path = os.ttyname(slave)  # not ttyname(master), which is /dev/ptmx
        if self.link:
            # Replace atomically so a driver reopening the link never finds it missing half-way.
            tmp = f"{self.link}.{os.getpid()}.tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(self.tty_path, tmp)
            os.replace(tmp, self.link)

    def write(self, data: bytes) -> None:
        """Send bytes to the driver; dropped (like a UART overrun) if nobody reads or the link is down."""
        if self.master is None:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.master, view) :]
            except BlockingIOError:
                logger.debug("pty %s full; %d bytes dropped", self.tty_path, len(view))
                return
            except OSError as exc:
                logger.debug("pty %s write failed: %s", self.tty_path, exc)
                return

    def read(self) -> bytes:
        """Bytes the driver sent, b"" if none are waiting."""
        if self.master is None:
            return b""
        try:
            return os.read(self.master, 4096)
        except OSError:  # EAGAIN when nothing is waiting
            return b""

    def close(self) -> None:
        """Hang up: the driver's next read fails as on a USB unplug; the symlink goes too."""
        for fd in (self.master, self._slave):
            if fd is not None:
                os.close(fd)
        self.master = self._slave = None
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.tty_path:
            os.unlink(self.link)
