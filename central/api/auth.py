"""Routes of access control: log in and out, who am I, accounts, API keys, the audit log (read only).

The audit log has no route that changes it: entries are only ever appended
by the routes that read people's data or export it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlmodel import col, select

from central import auth
from central.api.deps import AccessDep, AccountDep, AdminScopeDep, ScopeDep, SessionDep
from central.auth_models import (
    Account,
    AccountCreate,
    AccountPublic,
    ApiKey,
    ApiKeyCreated,
    ApiKeyPublic,
    AuditEntry,
    AuditEntryPublic,
)
from central.models import utcnow

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


DB_INT_MAX = 2**31 - 1  # ids beyond a 32-bit integer cannot exist; larger ones would overflow the driver


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


@router.post("/auth/login")
def login(body: LoginRequest, session: SessionDep, access: AccessDep, response: Response) -> AccountPublic:
    """Check the password and set the session cookie."""
    result = auth.login(session, body.username, body.password, access)
    if result is None:
        raise HTTPException(status_code=401, detail="用户名或密码错误 / wrong username or password")
    token, account = result
    set_session_cookie(response, token, access.session_hours, access.cookie_secure)
    return AccountPublic.model_validate(account)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, session: SessionDep, response: Response) -> None:
    """End the cookie's session (API keys have no session: revoke them instead)."""
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.logout(session, token)
    response.delete_cookie(auth.SESSION_COOKIE)


@router.get("/auth/me")
def me(account: AccountDep, _scope: ScopeDep) -> AccountPublic:
    """The account behind the cookie or API key."""
    assert account is not None  # ScopeDep answered 401 otherwise
    return AccountPublic.model_validate(account)


@router.get("/accounts")
def accounts(session: SessionDep, _admin: AdminScopeDep) -> list[AccountPublic]:
    rows = session.exec(select(Account).order_by(col(Account.id))).all()
    return [AccountPublic.model_validate(a) for a in rows]


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(body: AccountCreate, session: SessionDep, admin: AdminScopeDep) -> AccountPublic:
    try:
        account = auth.create_account(session, body)
    except auth.AccessError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    auth.audit(session, admin, "account.create", account.username, account.role)
    return AccountPublic.model_validate(account)


@router.get("/auth/keys")
def api_keys(session: SessionDep, _admin: AdminScopeDep) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.model_validate(k) for k in session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()]


@router.post("/auth/keys", status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyRequest, session: SessionDep, admin: AdminScopeDep) -> ApiKeyCreated:
    """A new key for an account; the key is in this answer only."""
    account = session.get(Account, body.account_id)
    if account is None:
        raise HTTPException(status_code=404, detail="无此账号 / unknown account")
    row, key = auth.create_api_key(session, account, body.name)
    auth.audit(session, admin, "apikey.create", f"{account.username}:{row.prefix}", body.name)
    return ApiKeyCreated.model_validate(row, update={"key": key})


@router.post("/auth/keys/{key_id}/revoke")
def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)], session: SessionDep, admin: AdminScopeDep
) -> ApiKeyPublic:
    row = auth.revoke_api_key(session, key_id, utcnow())
    if row is None:
        raise HTTPException(status_code=404, detail="无此密钥 / unknown key")
    auth.audit(session, admin, "apikey.revoke", row.prefix)
    return ApiKeyPublic.model_validate(row)


@router.get("/audit")
def audit_log(
    session: SessionDep,
    _admin: AdminScopeDep,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryPublic]:
    """The audit log, newest first (read only: nothing can change it)."""
    query = select(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    rows = session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
    return [AuditEntryPublic.model_validate(r) for r in rows]
