"""The roster page (排班): a site's week by guard and day, its shift templates, and the forms that change them.

Each change is a plain form post (the session's CSRF token in the form) through
the same functions and rights as the API (``central.attendance.roster_*``).
Success goes back to the week with a notice; a refusal shows the page again
with the reason in words and the form as it was filled in, so nothing typed
is lost. Terminals are told at once (``wake_rosters``, set on this router).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from central.access.audit import audit
from central.access.scope import Scope
from central.api.deps import PageScopeDep, SessionDep
from central.attendance import roster_csv, roster_edit, roster_week
from central.attendance.roster_rights import may_edit, readable_site, roster_sites, rosterable_guards
from central.db.types import utcnow
from central.errors import DomainError, Unprocessable
from central.paging import Paging, fetch
from central.registry.local_time import local_date
from central.registry.models import Site
from central.registry.roster import Post, ShiftAssignment
from central.web.render import render

router = APIRouter(include_in_schema=False)
SiteForm = Annotated[str, Form(max_length=32)]
WeekForm = Annotated[str, Form(max_length=10)]
NOTICES = {"shift_saved", "shift_deleted", "assigned", "ended", "deleted", "copied", "imported"}


def _day(value: str, zh: str = "日期", en: str = "the date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Unprocessable(f"{zh}格式应为 年-月-日（如 2026-03-02）/ {en} must be YYYY-MM-DD") from exc


def _current_assignments(session: Session, scope: Scope, site: Site, monday: date) -> list[ShiftAssignment]:
    """The site's assignments not over before the week shown (those still to end, or to begin)."""
    query = roster_week.assignments_query(scope, site).where(
        (col(ShiftAssignment.valid_to).is_(None)) | (col(ShiftAssignment.valid_to) >= monday)
    )
    return list(fetch(session, query, Paging(limit=200)).rows)


def _context(session: Session, scope: Scope, site: Site | None, monday: date) -> dict[str, Any]:
    if site is None:
        return {"site": None, "monday": monday}
    editable = may_edit(scope, site)
    shifts = roster_edit.list_shifts(session, scope, site.id)
    return {
        "site": site,
        "editable": editable,
        "monday": monday,
        "week": roster_week.week(session, scope, site.id, monday),
        "prev": monday - timedelta(weeks=1),
        "next": monday + timedelta(weeks=1),
        "shifts": shifts,
        "shift_names": {s.id: s for s in shifts},
        "posts": list(session.exec(select(Post).where(Post.site_id == site.id).order_by(col(Post.id))).all()),
        "guards": rosterable_guards(session, scope) if editable else [],
        "assignments": _current_assignments(session, scope, site, monday),
        "overnight": roster_edit.is_overnight,
        "max_weeks": roster_week.MAX_COPY_WEEKS,
        "today": local_date(utcnow(), site.timezone),
    }


def _page(
    request: Request, session: Session, scope: Scope, site_id: str | None, day: date | None, **more: Any
) -> HTMLResponse:
    status = more.pop("status", 200)
    sites = roster_sites(session, scope)
    site = readable_site(session, scope, site_id) if site_id else (sites[0] if sites else None)
    monday = roster_week.monday_of(day or (local_date(utcnow(), site.timezone) if site else date.today()))  # noqa: DTZ011
    context = {"sites": sites, "form": {}, "error": None, "notice": None} | _context(session, scope, site, monday)
    return render(request, "rosters.html", scope, context | more, status_code=status)


@router.get("/rosters")
def rosters_page(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: Annotated[str | None, Query(max_length=32)] = None,
    week: Annotated[date | None, Query()] = None,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    return _page(request, session, scope, site_id, week, notice=done if done in NOTICES else None)


def _back(site_id: str, week: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/rosters?{urlencode({'site_id': site_id, 'week': week, 'done': done})}", status_code=303)


def _refused(request: Request, session: Session, scope: Scope, site_id: str, week: str, exc: DomainError,
             form: dict[str, Any]) -> HTMLResponse:  # fmt: skip
    session.rollback()
    try:
        day = date.fromisoformat(week)
    except ValueError:
        day = None
    return _page(request, session, scope, site_id, day, error=str(exc), form=form, status=exc.status)


@router.post("/rosters/shifts")
def save_shift(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: SiteForm,
    week: WeekForm,
    name_zh: Annotated[str, Form(max_length=200)],
    starts: Annotated[str, Form(max_length=16)],
    ends: Annotated[str, Form(max_length=16)],
    name_en: Annotated[str, Form(max_length=200)] = "",
    post_id: Annotated[str, Form(max_length=32)] = "",
    late_grace_min: Annotated[int, Form(ge=0, le=roster_edit.GRACE_MAX)] = 5,
    early_grace_min: Annotated[int, Form(ge=0, le=roster_edit.GRACE_MAX)] = 5,
    shift_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """A new shift template, or (with ``shift_id``) a change to one."""
    form = roster_edit.ShiftForm(name_zh, starts, ends, name_en, post_id or None, late_grace_min, early_grace_min)
    try:
        if shift_id is None:
            shift = roster_edit.create_shift(session, scope, site_id, form)
        else:
            shift = roster_edit.update_shift(session, scope, shift_id, form)
    except DomainError as exc:
        shown = {"shift_id": shift_id, "name_zh": name_zh, "name_en": name_en, "starts": starts, "ends": ends,
                 "post_id": post_id, "late_grace_min": late_grace_min, "early_grace_min": early_grace_min}  # fmt: skip
        return _refused(request, session, scope, site_id, week, exc, {"shift": shown})
    action = "roster.shift_create" if shift_id is None else "roster.shift_update"
    audit(session, scope, action, f"shift:{shift.id}", roster_edit.shift_detail(shift))
    return _back(site_id, week, "shift_saved")


@router.post("/rosters/shifts/{shift_id}/delete")
def delete_shift(
    request: Request, session: SessionDep, scope: PageScopeDep, shift_id: int, site_id: SiteForm, week: WeekForm
) -> Response:
    try:
        shift = roster_edit.delete_shift(session, scope, shift_id)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {})
    audit(session, scope, "roster.shift_delete", f"shift:{shift_id}", f"site={shift.site_id} name={shift.name_zh}")
    return _back(site_id, week, "shift_deleted")


@router.post("/rosters/assignments")
def add_assignment(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: SiteForm,
    week: WeekForm,
    shift_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    guard_id: Annotated[str, Form(max_length=32)],
    valid_from: Annotated[str, Form(max_length=10)],
    weekday: Annotated[list[str] | None, Form(max_length=7)] = None,
    valid_to: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Roster a guard on a shift on the weekdays ticked, from a day to an optional day."""
    shown = {"shift_id": shift_id, "guard_id": guard_id, "weekdays": "".join(weekday or []),
             "valid_from": valid_from, "valid_to": valid_to}  # fmt: skip
    try:
        start = _day(valid_from, "起始日期", "the start date")
        end = _day(valid_to, "截止日期", "the end date") if valid_to.strip() else None
        form = roster_edit.AssignmentForm(shift_id, guard_id, "".join(weekday or []), start, end)
        row = roster_edit.assign(session, scope, form)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {"assignment": shown})
    audit(session, scope, "roster.assign", f"assignment:{row.id}", roster_edit.assignment_detail(row))
    return _back(site_id, week, "assigned")


@router.post("/rosters/assignments/{assignment_id}/end")
def end_assignment(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    assignment_id: int,
    site_id: SiteForm,
    week: WeekForm,
    last_day: Annotated[str, Form(max_length=10)],
) -> Response:
    try:
        last = _day(last_day, "结束日期", "the last day")
        row = roster_edit.end_assignment(session, scope, assignment_id, last)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {})
    audit(session, scope, "roster.end", f"assignment:{row.id}", roster_edit.assignment_detail(row))
    return _back(site_id, week, "ended")


@router.post("/rosters/assignments/{assignment_id}/delete")
def delete_assignment(
    request: Request, session: SessionDep, scope: PageScopeDep, assignment_id: int, site_id: SiteForm, week: WeekForm
) -> Response:
    try:
        row = roster_edit.delete_assignment(session, scope, assignment_id)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {})
    audit(session, scope, "roster.delete", f"assignment:{assignment_id}", roster_edit.assignment_detail(row))
    return _back(site_id, week, "deleted")


@router.post("/rosters/copy")
def copy_week(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: SiteForm,
    week: WeekForm,
    weeks: Annotated[int, Form(ge=1, le=roster_week.MAX_COPY_WEEKS)],
) -> Response:
    try:
        monday = roster_week.monday_of(_day(week, "周", "the week"))
        made = roster_week.copy_week(session, scope, site_id, monday, weeks)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {"weeks": weeks})
    audit(session, scope, "roster.copy", f"site:{site_id}", f"week={monday} weeks={weeks} created={len(made)}")
    return _back(site_id, week, "copied")


@router.post("/rosters/import")
async def import_list(
    request: Request,
    session: SessionDep,
    scope: PageScopeDep,
    site_id: SiteForm,
    week: WeekForm,
    kind: Annotated[roster_csv.ListKind, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """A shifts or assignments list of this site (as exported here), imported through the registry import."""
    name = file.filename or "upload.csv"
    try:
        report = roster_csv.import_list(session, scope, site_id, kind, await file.read(), name, commit=True)
    except DomainError as exc:
        return _refused(request, session, scope, site_id, week, exc, {})
    audit(session, scope, f"roster.import.{kind}", f"site:{site_id}", report.summary())
    if report.refused:
        reasons = "；".join(r.message for r in report.refused[:5])
        return _refused(request, session, scope, site_id, week, Unprocessable(reasons), {})
    return _back(site_id, week, "imported")
