"""Whether the system clock is synchronised, as the kernel says (what ``timedatectl`` shows).

chrony, ntpd and systemd-timesyncd clear the kernel's ``STA_UNSYNC`` flag while
they discipline the clock; ``adjtimex(2)`` with no modes set only reads it (no
privilege needed) and answers ``TIME_ERROR`` while the clock is not synchronised.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

TIME_ERROR = 5
_TIMEX_BYTES = 512  # larger than struct timex on every Linux ABI; zeroed, so ``modes`` is 0: read only


def clock_synchronized() -> bool | None:
    """True or False from the kernel; None where it cannot be asked (not Linux, no libc)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        state = ctypes.CDLL(name, use_errno=True).adjtimex(ctypes.create_string_buffer(_TIMEX_BYTES))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return bool(state != TIME_ERROR)
