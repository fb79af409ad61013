"""Request bodies: refused before a byte is read when nobody is logged in, and cut at the route's limit.

An ASGI middleware in front of every route. A request that carries a body
(``Content-Length`` above zero, or chunked) is first checked for an account
(the API key or the session cookie, as ``central.api.deps`` checks them):
without one it gets 401 unread, but on the routes that log in. Then the body
is read up to the route's limit for the account's role (``BodyLimits``: the
large ones only for those who may use the route), and one larger gets 413
without the rest being read; the route sees the body as sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.access.models import Role
from central.api.deps import current_account
from central.cases.workflow import MAX_ATTACHMENT_BYTES
from central.faces import MAX_PHOTO_BYTES
from central.watchlist.editor import MAX_PHOTOS

# Routes anyone may send a body to: they are how one logs in (and out).
OPEN_ROUTES = frozenset({"/login", "/logout", "/api/auth/login", "/api/auth/logout"})
# Five photos in base64, and the rest of the entry.
CASE_ANSWER_BYTES = MAX_ATTACHMENT_BYTES + 64 * 1024  # the attachment, the note, the form's framing
WATCHLIST_BYTES = MAX_PHOTOS * (MAX_PHOTO_BYTES * 4 // 3 + 4) + 64 * 1024


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The most bytes a request body may have: imports, watchlist photos, a case's answer, or anything else."""

    default: int
    imports: int
    watchlist: int = WATCHLIST_BYTES

    def of(self, path: str, role: str | None) -> int:
        if (path.startswith("/api/admin/import/") or path == "/admin/import") and role == Role.ADMIN:
            return self.imports
        if path.startswith(("/api/cases/", "/cases/")) and path.endswith("/answer"):
            return CASE_ANSWER_BYTES  # a note and one attachment of up to 5 MB
        if (path == "/api/watchlist" or path.startswith("/api/watchlist/")) and role in (Role.ADMIN, Role.POLICE):
            return self.watchlist
        return self.default


class BodyGuard:
    def __init__(self, app: ASGIApp, limits: BodyLimits, role_of: Callable[[Request], str | None]) -> None:
        self.app = app
        self.limits = limits
        self.role_of = role_of  # the role of the request's account, None without one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        role = None if path in OPEN_ROUTES else await run_in_threadpool(self.role_of, Request(scope))
        if role is None and path not in OPEN_ROUTES:
            detail = "需要登录或 API 密钥 / log in or send an API key"
            await _answer(send, 401, "unauthenticated", detail, {"WWW-Authenticate": "Bearer"})
            return
        limit = self.limits.of(path, role)
        declared = _content_length(scope)
        body = None if declared is not None and declared > limit else await _read(receive, limit)
        if body is None:
            await _answer(send, 413, "too_large", f"请求体过大（上限 {limit} 字节）/ request body over {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _has_body(scope: Scope) -> bool:
    declared = _content_length(scope)
    chunked = any(n == b"transfer-encoding" and b"chunked" in v.lower() for n, v in scope["headers"])
    return chunked or (declared is not None and declared > 0)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it has more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away: the route finds out
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, in one message; then the client's own messages (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"code": code, "detail": detail}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    # The body is not read: the connection cannot carry another request.
    raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def account_role(request: Request) -> str | None:
    """The role of the usable account behind the request's API key or session cookie (``central.api.deps``)."""
    with Session(request.app.state.engine) as session:
        account = current_account(request, session, request.app.state.settings.access)
        return None if account is None else str(account.role)
