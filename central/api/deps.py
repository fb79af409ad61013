"""Typed dependencies of the routes: session, settings, ingest, and who is asking (``Scope``).

A request is authenticated by an API key (``X-API-Key`` or ``Authorization:
Bearer``) or by the session cookie. API routes answer 401 without either;
pages send the browser to the login form instead (``PageScopeDep``). A
state-changing request that rides on the session cookie must carry the
session's CSRF token (``csrf_protect``, applied to every route); API-key
requests are exempt, since no browser sends a key on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from central.access import auth
from central.access.models import Account, Role
from central.access.scope import Scope
from central.access.throttle import LoginThrottle
from central.checkins.ingest import Ingest
from central.checkins.photo_store import PhotoStore, photo_store
from central.config import AccessSettings, CentralSettings
from central.errors import Forbidden, Unauthenticated
from central.watchlist.portraits import Portraits, portraits_for


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_settings(request: Request) -> CentralSettings:
    settings: CentralSettings = request.app.state.settings
    return settings


def get_ingest(request: Request) -> Ingest | None:
    ingest: Ingest | None = request.app.state.ingest
    return ingest


def get_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def get_photo_store(
    engine: Annotated[Engine, Depends(get_engine)], settings: Annotated[CentralSettings, Depends(get_settings)]
) -> PhotoStore:
    return photo_store(settings.photo_store, settings.data_dir, engine)


def get_portraits(
    engine: Annotated[Engine, Depends(get_engine)], settings: Annotated[CentralSettings, Depends(get_settings)]
) -> Portraits:
    return portraits_for(settings.photo_store, settings.data_dir, engine)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[CentralSettings, Depends(get_settings)]
IngestDep = Annotated[Ingest | None, Depends(get_ingest)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
PhotoStoreDep = Annotated[PhotoStore, Depends(get_photo_store)]
PortraitsDep = Annotated[Portraits, Depends(get_portraits)]


def get_access(settings: SettingsDep) -> AccessSettings:
    return settings.access


AccessDep = Annotated[AccessSettings, Depends(get_access)]


def _presented_key(request: Request) -> str | None:
    key = request.headers.get(auth.API_KEY_HEADER)
    if key:
        return key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials else None


def current_account(request: Request, session: SessionDep, access: AccessDep) -> Account | None:
    """The account behind the request's API key or session cookie, or None."""
    key = _presented_key(request)
    if key is not None:
        return auth.account_for_api_key(session, key, access)
    token = request.cookies.get(auth.SESSION_COOKIE)
    return auth.account_for_session(session, token, access) if token else None


AccountDep = Annotated[Account | None, Depends(current_account)]


def scope_from(request: Request, account: Account) -> Scope:
    """``account``'s scope for this request: its tenant, and the client address the audit log records."""
    request.state.actor = account.username  # for the request log
    return replace(auth.scope_of(account), address=client_address(request))


# What an account whose password an administrator reset may still do: change it, or log out.
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/api/auth/password", "/logout", "/api/auth/logout"})


def _held_for_password_change(request: Request, account: Account) -> bool:
    """Logged in with a temporary password, asking for something else than changing it (an API key the
    administrator made for the account is not held: it was not given with the password)."""
    held = account.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS
    return held and _presented_key(request) is None


def require_scope(request: Request, account: AccountDep) -> Scope:
    if account is None:
        raise Unauthenticated("需要登录或 API 密钥 / log in or send an API key", headers={"WWW-Authenticate": "Bearer"})
    if _held_for_password_change(request, account):
        raise Forbidden(
            "管理员已重置您的密码，请先修改密码 / your password was reset: change it first",
            code="access.password_change_required",
        )
    return scope_from(request, account)


ScopeDep = Annotated[Scope, Depends(require_scope)]


def require_police(scope: ScopeDep) -> Scope:
    if not scope.sees_alerts:
        raise Forbidden("仅限公安 / police only", code="forbidden.police_only")
    return scope


def require_admin(scope: ScopeDep) -> Scope:
    if scope.role is not Role.ADMIN:
        raise Forbidden("仅限管理员 / administrators only", code="forbidden.admin_only")
    return scope


PoliceScopeDep = Annotated[Scope, Depends(require_police)]
AdminScopeDep = Annotated[Scope, Depends(require_admin)]


class LoginRequired(Exception):  # noqa: N818  (a redirect, not an error)
    """A page was asked for without a session: the app answers with the login form."""


class PasswordChangeRequired(Exception):  # noqa: N818  (a redirect, not an error)
    """A page was asked for with a temporary password: the app answers with the password form."""


def require_page_scope(request: Request, account: AccountDep) -> Scope:
    if account is None:
        raise LoginRequired(request.url.path)
    if _held_for_password_change(request, account):
        raise PasswordChangeRequired(request.url.path)
    return scope_from(request, account)


PageScopeDep = Annotated[Scope, Depends(require_page_scope)]


CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Logging in makes the session; it cannot carry its token yet: the browser's Origin (or Referer) must be this site.
_CSRF_EXEMPT = frozenset({"/login", "/api/auth/login"})


def _same_origin(request: Request) -> bool:
    """Whether the page that sent the request is this site's: by Origin, else Referer; neither (no browser): yes.

    This site is the ``Host`` asked for, or ``public_url`` (behind a proxy that does not pass ``Host`` on).
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    public_url = get_settings(request).public_url
    ours = {request.headers.get("host", request.url.netloc), urlsplit(public_url).netloc if public_url else ""}
    netloc = urlsplit(source).netloc
    return netloc != "" and netloc in ours


async def csrf_protect(request: Request) -> None:
    """403 for a cookie-authenticated POST/PUT/PATCH/DELETE without the session's CSRF token,
    and for a login posted from another site's page (login CSRF: it would log the victim in as the attacker)."""
    if request.method in _SAFE_METHODS:
        return
    if request.url.path in _CSRF_EXEMPT:
        if not _same_origin(request):
            raise Forbidden("跨站登录请求被拒绝 / login from another site refused", code="forbidden.csrf")
        return
    token = request.cookies.get(auth.SESSION_COOKIE)
    if not token or _presented_key(request) is not None:
        return
    presented = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if presented is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not auth.csrf_valid(token, presented):
        raise Forbidden(
            "请求校验失败，请刷新页面 / CSRF token missing or wrong: reload the page", code="forbidden.csrf"
        )
