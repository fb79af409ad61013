"""Routes of access control: log in and out, who am I, accounts, API keys, the audit log (read only).

The audit log has no route that changes it: entries are only ever appended
by the routes that read people's data or export it.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from central.access import auth, policy
from central.access.audit import audit, printable, record
from central.access.audit_log import AuditFilter
from central.access.models import (
    Account,
    AccountCreate,
    AccountPublic,
    ApiKey,
    ApiKeyCreated,
    ApiKeyPublic,
    AuditEntryPublic,
)
from central.api.deps import (
    CSRF_HEADER,
    AccessDep,
    AccountDep,
    AdminScopeDep,
    ScopeDep,
    SessionDep,
    ThrottleDep,
    client_address,
    scope_from,
)
from central.api.operations import FIRST_DAY, LAST_DAY
from central.api.paging import DB_INT_MAX, Page, PagingDep, page
from central.db.types import utcnow
from central.errors import Conflict, TooManyAttempts, Unauthenticated, found
from central.paging import fetch
from central.registry.local_time import DEFAULT_ZONE

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


AccountId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


class ApiKeyRequest(BaseModel):
    account_id: int = Field(ge=1, le=DB_INT_MAX)
    name: str = Field(default="", max_length=100)


def set_session_cookie(response: Response, token: str, access_hours: float, secure: bool) -> None:
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(access_hours * 3600),
        httponly=True,
        samesite="lax",  # no cross-site POST carries the session: the CSRF defence of the forms
        secure=secure,
    )


def locked_out(seconds: float) -> TooManyAttempts:
    return TooManyAttempts(
        f"登录失败次数过多，请 {seconds:.0f} 秒后再试 / too many failed logins: try again in {seconds:.0f} s", seconds
    )


def checked_login(
    request: Request, session: SessionDep, access: AccessDep, throttle: ThrottleDep, username: str, password: str
) -> tuple[str, Account] | None:
    """``auth.login`` behind the failed-login throttle; raises TooManyAttempts (429) during a lockout."""
    address = client_address(request)
    name = policy.login_name(username)  # ADMIN and ａｄｍｉｎ count against admin
    wait = throttle.retry_after(name, address)
    if wait is not None:
        raise locked_out(wait)
    result = auth.login(session, username, password, access)
    if result is None:
        record(session, username, "-", "login.failure", address=address)
        if throttle.failed(name, address):
            logger.warning("login locked out for %s from %s after repeated failures", printable(name), address)
            record(session, username, "-", "login.lockout", detail="repeated failures", address=address)
        return None
    throttle.succeeded(name)
    audit(session, scope_from(request, result[1]), "login.success")
    return result


@router.post("/auth/login")
def login(
    body: LoginRequest,
    request: Request,
    session: SessionDep,
    access: AccessDep,
    throttle: ThrottleDep,
    response: Response,
) -> AccountPublic:
    """Check the password and set the session cookie; the CSRF token is in the ``X-CSRF-Token`` header."""
    result = checked_login(request, session, access, throttle, body.username, body.password)
    if result is None:
        raise Unauthenticated("用户名或密码错误 / wrong username or password", code="access.wrong_login")
    token, account = result
    set_session_cookie(response, token, access.session_hours, access.secure_cookie)
    response.headers[CSRF_HEADER] = auth.csrf_token(token)
    return AccountPublic.model_validate(account)


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=12, max_length=256)


def change_password(
    request: Request, session: SessionDep, throttle: ThrottleDep, account: Account, old: str, new: str
) -> None:
    """Change ``account``'s password; a wrong old password counts as a failed login.

    Raises TooManyAttempts during a lockout, WrongPassword, or AccessError for a weak new password.
    """
    address = client_address(request)
    wait = throttle.retry_after(account.username, address)
    if wait is not None:
        raise locked_out(wait)
    try:
        auth.change_password(session, account, old, new, request.cookies.get(auth.SESSION_COOKIE))
    except auth.WrongPassword:
        throttle.failed(account.username, address)
        raise
    audit(session, scope_from(request, account), "account.password", account.username)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def password(body: PasswordChange, request: Request, session: SessionDep, throttle: ThrottleDep,
             account: AccountDep, _scope: ScopeDep) -> None:  # fmt: skip
    """Change the logged-in account's password (the current one confirms it); its other sessions end."""
    assert account is not None  # ScopeDep answered 401 otherwise
    change_password(request, session, throttle, account, body.old_password, body.new_password)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, session: SessionDep, response: Response) -> None:
    """End the cookie's session (API keys have no session: revoke them instead)."""
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.logout(session, token)
    response.delete_cookie(auth.SESSION_COOKIE)


@router.get("/auth/me")
def me(request: Request, response: Response, account: AccountDep, _scope: ScopeDep) -> AccountPublic:
    """The account behind the cookie or API key (with a cookie: its CSRF token in ``X-CSRF-Token``)."""
    assert account is not None  # ScopeDep answered 401 otherwise
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        response.headers[CSRF_HEADER] = auth.csrf_token(token)
    return AccountPublic.model_validate(account)


@router.get("/accounts")
def accounts(session: SessionDep, _admin: AdminScopeDep, paging: PagingDep) -> Page[AccountPublic]:
    rows = fetch(session, select(Account).order_by(col(Account.id)), paging)
    return page(rows.map(AccountPublic.model_validate), paging)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(body: AccountCreate, session: SessionDep, admin: AdminScopeDep) -> AccountPublic:
    account = auth.create_account(session, body)
    audit(session, admin, "account.create", account.username, account.role)
    return AccountPublic.model_validate(account)


@router.post("/accounts/{account_id}/disable")
def disable_account(account_id: AccountId, session: SessionDep, admin: AdminScopeDep) -> AccountPublic:
    """No more logins or API keys for the account; its sessions end and its keys are revoked."""
    account = found(session.get(Account, account_id), "account")
    if account.username == admin.actor:
        raise Conflict("不能停用自己的账号 / you cannot disable your own account", code="access.own_account")
    auth.set_active(session, account, False)
    audit(session, admin, "account.disable", account.username)
    return AccountPublic.model_validate(account)


class TemporaryPassword(BaseModel):
    username: str
    temporary_password: str  # shown this once; stored only hashed; to be changed at the next login


@router.post("/accounts/{account_id}/reset-password")
def reset_password(account_id: AccountId, session: SessionDep, admin: AdminScopeDep) -> TemporaryPassword:
    """A temporary password for another account, answered once: its sessions end, its keys are revoked, and it
    can do nothing but change the password at its next login. 409 for one's own account or a disabled one."""
    account = found(session.get(Account, account_id), "account")
    temporary = auth.reset_password(session, account, admin.actor)
    audit(session, admin, "account.password_reset", account.username)
    return TemporaryPassword(username=account.username, temporary_password=temporary)


@router.post("/accounts/{account_id}/enable")
def enable_account(account_id: AccountId, session: SessionDep, admin: AdminScopeDep) -> AccountPublic:
    """The account may log in again (its old keys stay revoked)."""
    account = found(session.get(Account, account_id), "account")
    auth.set_active(session, account, True)
    audit(session, admin, "account.enable", account.username)
    return AccountPublic.model_validate(account)


@router.get("/auth/keys")
def api_keys(session: SessionDep, _admin: AdminScopeDep, paging: PagingDep) -> Page[ApiKeyPublic]:
    rows = fetch(session, select(ApiKey).order_by(col(ApiKey.id)), paging)
    return page(rows.map(ApiKeyPublic.model_validate), paging)


@router.post("/auth/keys", status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyRequest, session: SessionDep, admin: AdminScopeDep) -> ApiKeyCreated:
    """A new key for an account; the key is in this answer only."""
    account = found(session.get(Account, body.account_id), "account")
    row, key = auth.create_api_key(session, account, body.name)
    audit(session, admin, "apikey.create", f"{account.username}:{row.prefix}", body.name)
    return ApiKeyCreated.model_validate(row, update={"key": key})


@router.post("/auth/keys/{key_id}/revoke")
def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)], session: SessionDep, admin: AdminScopeDep
) -> ApiKeyPublic:
    row = found(auth.revoke_api_key(session, key_id, utcnow()), "api_key")
    audit(session, admin, "apikey.revoke", row.prefix)
    return ApiKeyPublic.model_validate(row)


@router.get("/audit")
def audit_log(
    session: SessionDep,
    _admin: AdminScopeDep,
    paging: PagingDep,
    action: Annotated[str | None, Query(max_length=48, description="an action and its refinements")] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200, description="part of the target")] = None,
    first: Annotated[date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
    last: Annotated[date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY)] = None,
) -> Page[AuditEntryPublic]:
    """The audit log, newest first (read only: nothing can change it), filtered; days are local days."""
    where = AuditFilter(action, actor, target, first, last)
    rows = fetch(session, where.query(DEFAULT_ZONE), paging)
    return page(rows.map(AuditEntryPublic.model_validate), paging)
