"""Failed logins: a temporary lockout per account and per client address, counted in the database.

After ``max_per_account`` failed passwords for one username within ``window_s``
of the first (or ``max_per_address`` from one client address, whatever the
username), further attempts are refused for ``lockout_s`` without checking the
password, so a guessing run costs hours rather than seconds. A success clears
the account's count. The counts are rows (``LoginFailure``) every central worker
reads and writes, so a guesser spread over the workers behind a proxy is counted
once, and a restart forgets nothing. Behind a reverse proxy the address is the
proxy's unless it is one of ``api.trusted_proxies``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from central.access.models import LoginFailure
from central.db.types import utcnow

PRUNE_EVERY = 100  # failed attempts between two clean-ups of expired rows


class LoginThrottle:
    def __init__(
        self,
        engine: Engine,
        max_per_account: int = 5,
        max_per_address: int = 20,
        window_s: float = 900.0,
        lockout_s: float = 900.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.max_per_account, self.max_per_address = max_per_account, max_per_address
        self._window, self._lockout = timedelta(seconds=window_s), timedelta(seconds=lockout_s)
        self._clock = clock
        self._attempts = itertools.count(1)

    @staticmethod
    def _keys(username: str, address: str | None) -> list[str]:
        return [f"user:{username}"] + ([f"addr:{address}"] if address else [])

    def retry_after(self, username: str, address: str | None) -> float | None:
        """Seconds until ``username`` may try again from ``address``, or None when not locked out."""
        now = self._clock()
        with Session(self._engine) as session:
            rows = session.exec(select(LoginFailure).where(col(LoginFailure.key).in_(self._keys(username, address))))
            waits = [(row.locked_until - now).total_seconds() for row in rows if row.locked_until is not None]
        longest = max(waits, default=0.0)
        return longest if longest > 0 else None

    def failed(self, username: str, address: str | None) -> bool:
        """Count a failed attempt; True when it locked the account or the address out."""
        limits = zip(self._keys(username, address), (self.max_per_account, self.max_per_address), strict=False)
        locked = False
        for key, limit in limits:
            try:
                locked |= self._count(key, limit)
            except IntegrityError:  # another worker made the row first: count on it
                locked |= self._count(key, limit)
        if next(self._attempts) % PRUNE_EVERY == 0:
            self._prune()
        return locked

    def succeeded(self, username: str) -> None:
        with Session(self._engine) as session:
            session.execute(delete(LoginFailure).where(col(LoginFailure.key) == self._keys(username, None)[0]))
            session.commit()

    def _count(self, key: str, limit: int) -> bool:
        now = self._clock()
        with Session(self._engine) as session:
            row = session.exec(select(LoginFailure).where(LoginFailure.key == key).with_for_update()).first()
            if row is None:
                row = LoginFailure(key=key, failures=0, window_start=now)
            elif now - row.window_start > self._window:
                row.failures, row.window_start = 0, now
            row.failures += 1
            locked = row.failures >= limit
            if locked:
                row.locked_until, row.failures, row.window_start = now + self._lockout, 0, now
            session.add(row)
            session.commit()
        return locked

    def _prune(self) -> None:
        """Rows whose window and lockout are both over: memory of attacks long gone."""
        now = self._clock()
        with Session(self._engine) as session:
            session.execute(
                delete(LoginFailure).where(
                    col(LoginFailure.window_start) < now - self._window,
                    or_(col(LoginFailure.locked_until).is_(None), col(LoginFailure.locked_until) < now),
                )
            )
            session.commit()
