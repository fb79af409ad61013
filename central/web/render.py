"""Rendering pages: the Jinja2 environment, times in the site's zone, the language, the navigation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from central.access.auth import SESSION_COOKIE, csrf_token
from central.access.models import Role
from central.access.scope import Scope
from central.errors import DomainError
from central.registry.snapshot import DEFAULT_ZONE
from central.web.i18n import LANG_COOKIE, language, translator
from central.web.labels import Names, labeller

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def _local(value: datetime | None, zone: str | None, fmt: str) -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone or DEFAULT_ZONE)).strftime(fmt)


def clock(value: datetime | None, zone: str | None = None) -> str:
    return _local(value, zone, "%H:%M:%S")


def stamp(value: datetime | None, zone: str | None = None) -> str:
    return _local(value, zone, "%Y-%m-%d %H:%M:%S")


templates.env.filters["clock"] = clock
templates.env.filters["stamp"] = stamp

# (path, message key, roles that see the link)
NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("/board", "board", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/calendar", "calendar", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/violations", "violations", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/guards", "guards", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/coverage", "coverage", frozenset({Role.ADMIN, Role.POLICE, Role.COMPANY, Role.FIRM})),
    ("/police/alerts", "alerts", frozenset({Role.ADMIN, Role.POLICE})),
    ("/police/violations", "overview", frozenset({Role.ADMIN, Role.POLICE})),
    ("/police/watchlist", "watchlist", frozenset({Role.ADMIN, Role.POLICE})),
    ("/admin", "admin", frozenset({Role.ADMIN})),
]


def lang_of(request: Request) -> str:
    return language(request.cookies.get(LANG_COOKIE))


def render(
    request: Request, name: str, scope: Scope | None, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = lang_of(request)
    nav = [(path, key) for path, key, roles in NAV if scope is not None and scope.role in roles]
    token = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(token) if token and scope is not None else ""  # forms and scripts post it back
    base = {
        "lang": lang,
        "t": translator(lang),
        "label": labeller(lang),
        "scope": scope,
        "tenant": _tenant(request, scope, lang),
        "nav": nav,
        "path": request.url.path,
        "csrf": csrf,
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def _tenant(request: Request, scope: Scope | None, lang: str) -> str:
    """The header's name of the account's company (its name, not its id), or its jurisdiction."""
    if scope is None:
        return ""
    if scope.company_id is None:
        return scope.jurisdiction or ""
    with Session(request.app.state.engine) as session:
        return Names.load(session, (), [scope.company_id]).company(scope.company_id, lang)


_ERROR_PAGES = {401: "not_found", 403: "forbidden", 404: "not_found"}


def error_page(request: Request, exc: DomainError, scope: Scope | None = None) -> HTMLResponse:
    """A domain error as a page: its status, the page's message, and the error's own text."""
    message = _ERROR_PAGES.get(exc.status, "request_refused")
    return render(request, "error.html", scope, {"message": message, "detail": str(exc)}, status_code=exc.status)
