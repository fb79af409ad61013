"""Errors the domains raise on purpose, each with the HTTP status and the stable code the API answers with.

Every ``DomainError`` reaches the client the same way (``central.api.errors``):
its status and ``{"code": ..., "detail": "中文 / English"}``. Routes do not
catch them one by one; a look-up that finds nothing raises ``NotFound`` with
the kind of record, whose text is kept here once (``NOT_FOUND``).
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

# What the user reads when a record of this kind is not there (or not theirs: the same answer).
NOT_FOUND: dict[str, str] = {
    "account": "无此账号 / unknown account",
    "assignment": "无此排班 / unknown assignment",
    "alert": "无此警报 / unknown alert",
    "api_key": "无此密钥 / unknown key",
    "attendance_request": "无此申请 / unknown leave or correction request",
    "case": "无此案件 / unknown case",
    "checkin": "无此签到记录 / unknown check-in",
    "guard": "无此保安员 / unknown guard",
    "list_kind": "无此名单类型 / unknown list kind",
    "photo": "无此照片 / no photo for this check-in",
    "portrait": "无登记照片 / no registered portrait for this guard",
    "record": "无此记录 / no such record",
    "shift": "无此班次 / unknown shift",
    "site": "场所不存在 / unknown site",
    "violation": "无此违规记录 / unknown violation",
    "watchlist_entry": "无此人员 / unknown watchlist entry",
    "watchlist_photo": "无登记照片 / no photo for this entry",
}


class DomainError(Exception):
    """A request the domain refuses; ``status`` and ``code`` say how the API answers."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.headers = headers or {}


class NotFound(DomainError):
    """No such record, or none the asker may see (never told apart: a foreign id confirms nothing)."""

    status = 404

    def __init__(self, kind: str, detail: str = "") -> None:
        text = NOT_FOUND[kind]
        super().__init__(f"{text}: {detail}" if detail else text, code=f"not_found.{kind}")


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    status = 422
    code = "invalid"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, headers={"Retry-After": str(int(retry_after_s) + 1)})
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """Something central depends on (the broker, a signing key) did not do its part."""

    status = 502
    code = "unavailable"


def found(value: T | None, kind: str) -> T:
    """``value``, or NotFound of ``kind`` when it is None: the one way a route answers 404."""
    if value is None:
        raise NotFound(kind)
    return value
