"""The terminal's status on its own disk, ``<data_dir>/status.json``: what a technician or a monitor reads.

Written whole or not at all (``shared.files.atomic_writer``) at start, every
heartbeat (``uplink.heartbeat_s``) and at a clean stop, whether or not the
broker is reachable: that is when it matters most. It carries what the status
message to central carries (outbox backlog, roster and watchlist versions)
and what only the terminal knows: whether the card reader is open and how the
camera fared at the last tap, and whether the kernel says the clock is
synchronised (``shared.clock_sync``). The offset itself is measured by central,
the reference: the terminals page and ``GET /api/terminals`` ``clock_offset_s``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.files import atomic_writer

STATUS_FILE = "status.json"
ReaderState = Literal["starting", "ok", "unavailable"]
CameraState = Literal["unknown", "ok", "failed"]  # as of the last tap: an idle camera is not probed


class LocalStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["guardpost.terminal-status/1"] = Field(default="guardpost.terminal-status/1", alias="schema")
    terminal_id: str
    at: AwareDatetime  # the terminal's own clock when written
    running: bool  # False once the terminal has stopped cleanly
    software_version: str
    uplink_connected: bool
    reader: ReaderState
    camera: CameraState
    camera_error: str | None = None
    outbox_depth: int
    outbox_bytes: int
    oldest_pending_s: float | None = None
    roster_version: str | None = None
    roster_stale: str | None = None
    watchlist_version: str | None = None
    watchlist_stale: str | None = None
    clock_synchronized: bool | None = None  # None: the kernel could not be asked


def write_status(path: Path, status: LocalStatus) -> None:
    with atomic_writer(path) as handle:
        handle.write(status.model_dump_json(by_alias=True, indent=2).encode())
        handle.write(b"\n")


def read_status(path: Path) -> LocalStatus:
    return LocalStatus.model_validate_json(path.read_bytes())


def pending_age(now: datetime, oldest_created_at: float | None) -> float | None:
    return None if oldest_created_at is None else max(0.0, now.timestamp() - oldest_created_at)
