"""Failed logins: a temporary lockout per account and per client address, counted in process memory.

After ``max_per_account`` failed passwords for one username within ``window_s``
(or ``max_per_address`` from one client address, whatever the username), further
attempts are refused for ``lockout_s`` without checking the password, so a
guessing run costs hours rather than seconds. A success clears the account's
count. The counts live in this process: each central worker counts on its own
and a restart forgets them (docs/dashboard.md); behind a reverse proxy the
address is the proxy's unless it is one of ``api.trusted_proxies``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# More distinct keys than this and the expired ones are dropped: memory stays bounded under a spray.
_PRUNE_ABOVE = 10_000


@dataclass
class LoginThrottle:
    max_per_account: int = 5
    max_per_address: int = 20
    window_s: float = 900.0
    lockout_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _keys(username: str, address: str | None) -> tuple[str, str | None]:
        return f"user:{username}", f"addr:{address}" if address else None

    def retry_after(self, username: str, address: str | None) -> float | None:
        """Seconds until ``username`` may try again from ``address``, or None when not locked out."""
        now = self.clock()
        with self._lock:
            waits = [self._locked_until.get(k, 0.0) - now for k in self._keys(username, address) if k]
        longest = max(waits)
        return longest if longest > 0 else None

    def failed(self, username: str, address: str | None) -> bool:
        """Count a failed attempt; True when it locked the account or the address out."""
        now = self.clock()
        account_key, address_key = self._keys(username, address)
        limits = [(account_key, self.max_per_account)]
        if address_key:
            limits.append((address_key, self.max_per_address))
        locked = False
        with self._lock:
            for key, limit in limits:
                recent = self._failures.setdefault(key, deque())
                recent.append(now)
                while recent and recent[0] <= now - self.window_s:
                    recent.popleft()
                if len(recent) >= limit:
                    self._locked_until[key] = now + self.lockout_s
                    recent.clear()
                    locked = True
            if len(self._failures) + len(self._locked_until) > _PRUNE_ABOVE:
                self._prune(now)
        return locked

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, None)[0], None)

    def _prune(self, now: float) -> None:
        self._failures = {k: d for k, d in self._failures.items() if d and d[-1] > now - self.window_s}
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
