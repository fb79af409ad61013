"""Dashboard pages for people: login, language, and the employers' pages (board, calendar, attendance, violations).

Server-rendered; every page reads through the same scoped queries as the API,
so a page can show nothing the account's API calls could not. A page asked
for without a session sends the browser to the login form.
"""

from __future__ import annotations

import calendar as cal
import math
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from central.access import auth, policy
from central.access.audit import audit
from central.access.models import Role
from central.access.scope import Scope
from central.api.auth import change_password, checked_login, set_session_cookie
from central.api.board import board_of
from central.api.deps import AccessDep, AccountDep, PageScopeDep, SessionDep, SettingsDep, ThrottleDep, client_address
from central.api.operations import FIRST_DAY, LAST_DAY, today_at
from central.attendance import queries as attendance_queries
from central.attendance.board import FILTERS, presence
from central.attendance.report import day_report
from central.attendance.request_workflow import fileable_guards
from central.attendance.rules import local_day_bounds
from central.checkins import queries as checkin_queries
from central.checkins.rules import CATALOGUE
from central.errors import DomainError, TooManyAttempts
from central.paging import MAX_LIMIT, Paging
from central.registry import coverage
from central.registry import queries as registry_queries
from central.registry.coverage import CoverageFilter, Lack
from central.web.i18n import LANG_COOKIE, LANGS
from central.web.labels import Names
from central.web.pager import PagerDep
from central.web.render import render

router = APIRouter(include_in_schema=False)

PageDate = Annotated[date | None, Query(alias="date", ge=FIRST_DAY, le=LAST_DAY)]


def _safe_next(target: str | None) -> str:
    # Only paths on this site: a crafted link must not bounce a fresh login elsewhere.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def not_found(request: Request, scope: Scope | None) -> HTMLResponse:
    return render(request, "error.html", scope, {"message": "not_found"}, status_code=404)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002  (the usual name)
    return render(request, "login.html", None, {"next": _safe_next(next), "error": False})


@router.post("/login")
def login_submit(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    throttle: ThrottleDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "/",  # noqa: A002
) -> Response:
    try:
        result = checked_login(request, session, access, throttle, username, password)
    except TooManyAttempts as exc:  # locked out: the form says so, with the wait
        return _locked_out(request, next, exc.retry_after_s)
    if result is None:
        # The failure that locks the account out says so at once, not on the next try.
        wait = throttle.retry_after(policy.login_name(username), client_address(request))
        if wait is not None:
            return _locked_out(request, next, wait)
        return render(request, "login.html", None, {"next": _safe_next(next), "error": True}, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, result[0], access.session_hours, access.secure_cookie)
    return response


def _locked_out(request: Request, next: str, wait_s: float) -> HTMLResponse:  # noqa: A002
    minutes = max(1, math.ceil(wait_s / 60))
    context = {"next": _safe_next(next), "error": True, "locked": True, "wait_minutes": minutes}
    response = render(request, "login.html", None, context, status_code=429)
    response.headers["Retry-After"] = str(int(wait_s) + 1)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.logout(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


@router.get("/account/password")
def password_form(request: Request, scope: PageScopeDep, account: AccountDep) -> HTMLResponse:
    must_change = account is not None and account.must_change_password  # reset by an administrator
    return render(request, "password.html", scope, {"error": None, "done": False, "must_change": must_change})


@router.post("/account/password")
def password_submit(
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    account: AccountDep,
    scope: PageScopeDep,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    new_password_again: Annotated[str, Form(max_length=256)],
) -> HTMLResponse:
    """The page form of ``POST /api/auth/password``; the two new entries must agree."""
    assert account is not None  # PageScopeDep sent the browser to the login form otherwise
    error: str | None = "password_mismatch" if new_password != new_password_again else None
    if error is None:
        try:
            change_password(request, session, throttle, account, old_password, new_password)
        except DomainError as exc:
            error = {403: "password_wrong", 429: "login_locked"}.get(exc.status, "password_weak")
    context = {"error": error, "done": error is None, "must_change": account.must_change_password}
    return render(request, "password.html", scope, context, status_code=200 if error is None else 400)


@router.get("/lang/{code}")
def set_language(code: str, next: str | None = None) -> RedirectResponse:  # noqa: A002
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/")
def home(account: AccountDep) -> RedirectResponse:
    if account is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/police/alerts" if account.role == Role.POLICE else "/board", status_code=303)


# The badge of each presence on the board.
PRESENCE_CSS = {"on_post": "ok", "left": "off", "not_yet": "off", "missing": "bad", "absent": "bad", "on_leave": "off"}


@router.get("/board")
def board_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    ask: PagerDep,
    site_id: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    day: PageDate = None,
    fragment: bool = False,
) -> HTMLResponse:
    """Who is expected, on post, missing, late or not in order at each site today; live (``board.js``)."""
    sites = registry_queries.visible_sites(session, scope)
    if site_id and site_id not in {s.id for s in sites}:
        return not_found(request, scope)
    result, shown = board_of(session, scope, site_id or None, status if status in FILTERS else None, day, ask.paging)
    context = {
        "sites": sites,
        "site_id": site_id,
        "status": status,
        "filters": FILTERS,
        "day": shown,
        "site_boards": result.sites,
        "counts": result.counts,
        "quiet": result.quiet,
        "pager": ask.of(result.count),
        "presence_css": PRESENCE_CSS,
    }
    return render(request, "_board_live.html" if fragment else "board.html", scope, context)


@router.get("/calendar")
def calendar_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: str | None = None,
    month: Annotated[str | None, Query(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$")] = None,
) -> HTMLResponse:
    sites = registry_queries.visible_sites(session, scope)
    site = registry_queries.get_site(session, scope, site_id) if site_id else (sites[0] if sites else None)
    if site_id and site is None:
        return not_found(request, scope)
    first = date.fromisoformat(f"{month}-01") if month else (today_at(site) if site else date.today()).replace(day=1)  # noqa: DTZ011
    days = attendance_queries.calendar(session, scope, site, first) if site else []
    context = {
        "sites": sites,
        "site": site,
        "month": f"{first:%Y-%m}",
        "days": days,
        "lead": cal.weekday(first.year, first.month, 1),
    }
    return render(request, "calendar.html", scope, context)


@router.get("/attendance")
def attendance_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    settings: SettingsDep,
    ask: PagerDep,
    site_id: str,
    day: PageDate = None,
) -> HTMLResponse:
    """One site's day: attendance against shifts (late / early / absent) and every check-in with its photo."""
    site = registry_queries.get_site(session, scope, site_id)
    if site is None:
        return not_found(request, scope)
    shown = day or today_at(site)
    rows = day_report(session, [site.id], shown, attendance_queries.attendance_employer(scope, site))
    start, end = local_day_bounds(shown, site.timezone)
    checkins = checkin_queries.list_checkins(session, scope, site_id=site.id, start=start, end=end, paging=ask.paging)
    now = datetime.now(UTC)
    context = {
        "site": site,
        "day": shown,
        "rows": [(row, presence(row, now)) for row in rows],  # the board's words for the same rows
        "presence_css": PRESENCE_CSS,
        "checkins": checkins.rows,
        "pager": ask.of(checkins.count),
        # Guards whose leave or correction this account files here: their rows link to the form.
        "fileable": {g for g, _zh, _en in fileable_guards(session, scope, site, settings.attendance.requests_filed_by)},
    }
    return render(request, "attendance.html", scope, context)


@router.get("/violations")
def violations_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    ask: PagerDep,
    site_id: str | None = None,
    day: PageDate = None,
    code: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Violations newest first, by site, day and rule, a page at a time."""
    sites = registry_queries.visible_sites(session, scope)
    if site_id and registry_queries.get_site(session, scope, site_id) is None:
        return not_found(request, scope)
    found = checkin_queries.list_violations(
        session, scope, site_id=site_id or None, day=day, code=code or None, paging=ask.paging
    )
    context = {
        "sites": sites,
        "site_id": site_id,
        "day": day,
        "code": code,
        "codes": list(CATALOGUE),
        "rows": found.rows,
        "pager": ask.of(found.count),
        "zones": {s.id: s.timezone for s in sites},
        # A guard's tap at another's site is shown by the site's name, also where the site is not the reader's.
        "names": Names.load(session, [v.site_id for v in found.rows]),
    }
    return render(request, "violations.html", scope, context)


@router.get("/guards")
def guards_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    ask: PagerDep,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    found = registry_queries.list_guards(session, scope, q=q, paging=ask.paging)
    if scope.is_police:
        audit(session, scope, "person.search", q or "", f"{found.count} found (page)")
    names = Names.load(session, (), [g.employer_id for g in found.rows])
    context = {"rows": found.rows, "pager": ask.of(found.count), "q": q, "names": names}
    return render(request, "guards.html", scope, context)


@router.get("/coverage")
def coverage_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    ask: PagerDep,
    company_id: Annotated[str | None, Query(max_length=32)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=32)] = None,
    lacks: Lack | None = None,
) -> HTMLResponse:
    """采集率 per company (in the jurisdiction asked for), and the guards who lack a portrait or fingerprints."""
    where = CoverageFilter(company_id or None, jurisdiction or None, lacks)
    overall = CoverageFilter(jurisdiction=where.jurisdiction)  # the summary: every company in view
    companies = coverage.summary(session, scope, overall, Paging(limit=MAX_LIMIT))  # says so if there are more
    missing = coverage.missing(session, scope, where, ask.paging)
    if scope.is_police:
        audit(session, scope, "coverage.missing", where.company_id or "", f"{missing.count} guards (page)")
    context = {
        "rows": companies.rows,
        "companies_total": companies.count,
        "total": coverage.total(session, scope, overall),
        "missing": missing.rows,
        "missing_total": missing.count,
        "pager": ask.of(missing.count),
        "jurisdictions": coverage.jurisdictions(session, scope),
        "where": where,
        "summary_query": _query(overall),
        "missing_query": _query(where),
    }
    return render(request, "coverage.html", scope, context)


def _query(where: CoverageFilter) -> str:
    """The filter as the exports' query string."""
    return urlencode({name: value for name, value in asdict(where).items() if value})


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
