"""Rendering pages: the Jinja2 environment, times in the site's zone, the language, the navigation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from central.access.auth import SESSION_COOKIE, account_for_session, csrf_token, scope_of
from central.access.models import Role
from central.access.scope import Scope
from central.errors import DomainError, TooManyAttempts
from central.registry.snapshot import DEFAULT_ZONE
from central.web.i18n import LANG_COOKIE, language, translator
from central.web.labels import Names, labeller
from central.web.pager import SIZES

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


def hm(value: datetime | None, zone: str | None = None) -> str:
    return _local(value, zone, "%H:%M")


templates.env.filters["clock"] = clock
templates.env.filters["stamp"] = stamp
templates.env.filters["hm"] = hm
templates.env.globals["sizes"] = SIZES

# (path, message key, roles that see the link)
NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("/board", "board", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/calendar", "calendar", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/rosters", "rosters", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/attendance/requests", "requests", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/violations", "violations", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/guards", "guards", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/coverage", "coverage", frozenset({Role.ADMIN, Role.POLICE, Role.COMPANY, Role.FIRM})),
    ("/police/alerts", "alerts", frozenset({Role.ADMIN, Role.POLICE})),
    ("/police/violations", "overview", frozenset({Role.ADMIN, Role.POLICE})),
    ("/police/watchlist", "watchlist", frozenset({Role.ADMIN, Role.POLICE})),
    ("/terminals", "terminals", frozenset({Role.ADMIN, Role.COMPANY, Role.FIRM})),
    ("/cases", "cases", frozenset({Role.ADMIN, Role.POLICE, Role.COMPANY, Role.FIRM})),
    ("/reports/monthly", "report_monthly", frozenset({Role.ADMIN, Role.POLICE, Role.COMPANY, Role.FIRM})),
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
        "t_other": translator("en" if lang == "zh" else "zh"),
        "label": labeller(lang),
        "scope": scope,
        "tenant": _tenant(request, scope, lang),
        "nav": nav,
        "path": request.url.path,
        "csrf": csrf,
        "status": status_code,
        "back": _back(request),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def _back(request: Request) -> str:
    """Where "back" goes: the page the reader came from on this site, else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.headers.get("host", request.url.netloc)
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    return back if same_site and back.startswith("/") and back != request.url.path else "/"


def _tenant(request: Request, scope: Scope | None, lang: str) -> str:
    """The header's name of the account's company (its name, not its id), or its jurisdiction."""
    if scope is None:
        return ""
    if scope.company_id is None:
        return scope.jurisdiction or ""
    with Session(request.app.state.engine) as session:
        return Names.load(session, (), [scope.company_id]).company(scope.company_id, lang)


_ERROR_PAGES = {
    401: "not_found",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    429: "too_many_requests",
}


# A refused query or form field by its label on the pages (a field without one keeps its name).
FIELD_LABELS = {
    "date": "date",
    "month": "month",
    "from": "from",
    "to": "to",
    "site_id": "site",
    "company_id": "company",
    "jurisdiction": "jurisdiction",
    "lacks": "lacks",
    "status": "status",
    "code": "violation",
    "q": "search",
    "page": "pages",
    "size": "page_size",
    "username": "username",
    "password": "password",
}


def error_page(
    request: Request,
    status: int,
    *,
    detail: str = "",
    fields: Sequence[tuple[str, str]] = (),
    retry_after_s: float | None = None,
) -> HTMLResponse:
    """A refusal as a page for people: what happened in both languages, why, how long to wait, and the way back.

    The page keeps the reader's navigation when a session is there (it is looked up again: the
    refusal may come before any route resolved the account).
    """
    context = {
        "message": _ERROR_PAGES.get(status, "request_refused"),
        "detail": detail,
        "fields": [(FIELD_LABELS.get(name, name), why) for name, why in fields],
        "wait_minutes": None if retry_after_s is None else max(1, math.ceil(retry_after_s / 60)),
    }
    response = render(request, "error.html", _session_scope(request), context, status_code=status)
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(int(retry_after_s) + 1)
    return response


def domain_error_page(request: Request, exc: DomainError) -> HTMLResponse:
    wait = exc.retry_after_s if isinstance(exc, TooManyAttempts) else None
    return error_page(request, exc.status, detail=str(exc), retry_after_s=wait)


def _session_scope(request: Request) -> Scope | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with Session(request.app.state.engine) as session:
        account = account_for_session(session, token, request.app.state.settings.access)
    return None if account is None or not account.active else scope_of(account)
