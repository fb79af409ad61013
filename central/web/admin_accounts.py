"""The administrator's accounts and API keys in the browser: create an account, disable or enable it,
reset another account's password (a temporary one, shown once, to be changed at its next login),
create a key (shown once) or revoke one. Each is the API's own step (``central.api.auth``), audited
the same way; a refusal comes back on the page in words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from central.access import auth
from central.access.audit import audit
from central.access.models import Account, AccountCreate, Role
from central.access.scope import Scope
from central.api.deps import PageScopeDep, SessionDep
from central.api.paging import DB_INT_MAX
from central.db.types import utcnow
from central.errors import DomainError
from central.web.police import admin_context, forbidden
from central.web.render import render

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, PathParam(ge=1, le=DB_INT_MAX)]


def _page(request: Request, session: SessionDep, scope: Scope, status: int = 200, **shown: str | None) -> HTMLResponse:
    return render(request, "admin.html", scope, admin_context(session) | shown, status_code=status)


def _admin_only(request: Request, scope: Scope) -> HTMLResponse | None:
    return None if scope.role is Role.ADMIN else forbidden(request, scope)


@router.post("/admin/accounts", response_model=None)
def create_account(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
    tenant: Annotated[str, Form(max_length=32)] = "",
) -> HTMLResponse | RedirectResponse:
    """``tenant``: the company of a company or firm account, the jurisdiction of a police account."""
    if (refused := _admin_only(request, scope)) is not None:
        return refused
    try:
        body = AccountCreate(username=username, password=password, role=role, display_name=display_name,
                             company_id=tenant or None if role in (Role.COMPANY, Role.FIRM) else None,
                             jurisdiction=tenant or None if role is Role.POLICE else None)  # fmt: skip
        account = auth.create_account(session, body)
    except (DomainError, ValueError, ValidationError) as exc:
        session.rollback()
        reason = "；".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
        return _page(request, session, scope, 422, account_error=reason)
    audit(session, scope, "account.create", account.username, account.role)
    return RedirectResponse("/admin#accounts-table", status_code=303)


# Before the route of the other steps, which would take "reset-password" for one.
@router.post("/admin/accounts/{account_id}/reset-password", response_model=None)
def reset_password(request: Request, session: SessionDep, scope: PageScopeDep, account_id: RowId) -> HTMLResponse:
    """The temporary password is on this page only: it is stored hashed, and its holder must change it."""
    if (refused := _admin_only(request, scope)) is not None:
        return refused
    account = session.get(Account, account_id)
    if account is None:
        return _page(request, session, scope, 404, account_error="无此账号 / no such account")
    try:
        temporary = auth.reset_password(session, account, scope.actor)
    except DomainError as exc:
        return _page(request, session, scope, exc.status, account_error=str(exc))
    audit(session, scope, "account.password_reset", account.username)
    return _page(request, session, scope, reset_for=account.username, temporary_password=temporary)


@router.post("/admin/accounts/{account_id}/{step}", response_model=None)
def account_step(
    request: Request, session: SessionDep, scope: PageScopeDep, account_id: RowId, step: str
) -> HTMLResponse | RedirectResponse:
    if (refused := _admin_only(request, scope)) is not None:
        return refused
    account = session.get(Account, account_id)
    if account is None or step not in ("disable", "enable"):
        return _page(request, session, scope, 404, account_error="无此账号 / no such account")
    if step == "disable" and account.username == scope.actor:
        return _page(
            request, session, scope, 409, account_error="不能停用自己的账号 / you cannot disable your own account"
        )
    auth.set_active(session, account, step == "enable")
    audit(session, scope, f"account.{step}", account.username)
    return RedirectResponse("/admin#accounts-table", status_code=303)


@router.post("/admin/keys", response_model=None)
def create_key(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    account_id: Annotated[int, Form(ge=1, le=DB_INT_MAX)],
    name: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """The new key is on this page only: it is stored hashed."""
    if (refused := _admin_only(request, scope)) is not None:
        return refused
    account = session.get(Account, account_id)
    if account is None:
        return _page(request, session, scope, 404, key_error="无此账号 / no such account")
    row, key = auth.create_api_key(session, account, name)
    audit(session, scope, "apikey.create", f"{account.username}:{row.prefix}", name)
    return _page(request, session, scope, new_key=key)


@router.post("/admin/keys/{key_id}/revoke", response_model=None)
def revoke_key(
    request: Request, session: SessionDep, scope: PageScopeDep, key_id: RowId
) -> HTMLResponse | RedirectResponse:
    if (refused := _admin_only(request, scope)) is not None:
        return refused
    row = auth.revoke_api_key(session, key_id, utcnow())
    if row is None:
        return _page(request, session, scope, 404, key_error="无此密钥 / no such key")
    audit(session, scope, "apikey.revoke", row.prefix)
    return RedirectResponse("/admin#keys-table", status_code=303)
