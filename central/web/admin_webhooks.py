"""The administrator's police webhooks in the browser: per jurisdiction a URL and a secret (never shown
again), the queue of each (waiting, delivered, the latest failure), and removal. Audited; refusals in words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from central.access.audit import audit
from central.access.models import Role
from central.access.scope import Scope
from central.alerts import webhooks
from central.api.deps import PageScopeDep, SessionDep
from central.errors import DomainError
from central.web.police import forbidden
from central.web.render import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, session: Session, scope: Scope, status: int = 200, error: str | None = None
) -> HTMLResponse:
    context = {"hooks": webhooks.states(session), "error": error}
    return render(request, "admin_webhooks.html", scope, context, status_code=status)


@router.get("/admin/webhooks", response_model=None)
def webhooks_page(request: Request, session: SessionDep, scope: PageScopeDep) -> HTMLResponse:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    return _page(request, session, scope)


@router.post("/admin/webhooks", response_model=None)
def save_webhook(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    jurisdiction: Annotated[str, Form(max_length=32)],
    url: Annotated[str, Form(max_length=500)],
    secret: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse | RedirectResponse:
    """``secret`` empty: the stored one is kept (a new webhook needs one)."""
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    try:
        hook = webhooks.configure(session, jurisdiction, url, secret or None)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, scope, 422, error=str(exc))
    audit(session, scope, "webhook.set", hook.jurisdiction, f"url={hook.url} secret_changed={bool(secret)}")
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.post("/admin/webhooks/{jurisdiction}/remove", response_model=None)
def remove_webhook(
    request: Request, session: SessionDep, scope: PageScopeDep, jurisdiction: str
) -> HTMLResponse | RedirectResponse:
    if scope.role is not Role.ADMIN:
        return forbidden(request, scope)
    if not webhooks.remove(session, jurisdiction):
        return _page(request, session, scope, 404, error="无此辖区的推送设置 / no webhook for this jurisdiction")
    audit(session, scope, "webhook.remove", jurisdiction)
    return RedirectResponse("/admin/webhooks", status_code=303)
