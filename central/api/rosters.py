"""The roster (排班) API for administrators, security companies and property firms, each within its rights.

Shift templates, weekly assignments, the week view, copying a week forward,
and a site's roster as registry lists (CSV out, CSV or XLSX in). Who may do
what is ``central.attendance.roster_rights``; every change is audited, and
terminals get their new rosters at once (``wake_rosters`` in ``central.app``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from central.access.audit import audit
from central.api.deps import ScopeDep, SessionDep
from central.api.paging import DB_INT_MAX, Page, PagingDep, page
from central.attendance import roster_csv, roster_edit, roster_week
from central.attendance.roster_rights import guards_query, may_edit, readable_site, require_roster_role, roster_sites
from central.paging import Paging, fetch
from central.registry.roster import Shift, ShiftAssignment
from central.registry.upsert import Outcome

router = APIRouter(prefix="/api/rosters", tags=["rosters"])
T = TypeVar("T")
ShiftId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


class ShiftIn(BaseModel):
    name_zh: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    starts: str = Field(max_length=16, description="HH:MM, the site's local time")
    ends: str = Field(max_length=16, description="HH:MM; at or before starts: ends the next day")
    post_id: str | None = Field(default=None, max_length=32)
    late_grace_min: int = Field(default=5, ge=0, le=roster_edit.GRACE_MAX)
    early_grace_min: int = Field(default=5, ge=0, le=roster_edit.GRACE_MAX)

    def form(self) -> roster_edit.ShiftForm:
        return roster_edit.ShiftForm(**self.model_dump())


class ShiftOut(BaseModel):
    id: int
    site_id: str
    post_id: str | None
    name_zh: str
    name_en: str
    starts: time
    ends: time
    overnight: bool  # ends the next day (次日)
    late_grace_min: int
    early_grace_min: int


class AssignmentIn(BaseModel):
    shift_id: ShiftId
    guard_id: str = Field(max_length=32)
    weekdays: str = Field(default="1234567", max_length=20, description="ISO weekdays, 1 = Monday: 12345")
    valid_from: date
    valid_to: date | None = None


class AssignmentOut(BaseModel):
    id: int
    shift_id: int
    guard_id: str
    weekdays: str
    valid_from: date
    valid_to: date | None


class EndIn(BaseModel):
    last_day: date


class CopyIn(BaseModel):
    date: date  # any day of the week to copy
    weeks: int = Field(ge=1, le=roster_week.MAX_COPY_WEEKS)


class SiteOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    editable: bool


class GuardOut(BaseModel):
    id: str
    name_zh: str
    name_en: str


class WeekOut(BaseModel):
    site_id: str
    monday: date
    days: list[date]
    rows: list[roster_week.WeekRow]  # the domain's rows as they are: a guard, and Monday to Sunday's shifts


def week_out(found: roster_week.Week) -> WeekOut:
    return WeekOut(site_id=found.site.id, monday=found.monday, days=found.days, rows=found.rows)


def shift_out(shift: Shift) -> ShiftOut:
    # By attribute, not model_dump: after the audit's commit the row's fields are expired, and reload on access.
    fields = {name: getattr(shift, name) for name in ShiftOut.model_fields if name != "overnight"}
    return ShiftOut(**fields, overnight=roster_edit.is_overnight(shift))


def assignment_out(row: ShiftAssignment) -> AssignmentOut:
    return AssignmentOut.model_validate(row, from_attributes=True)


def _page(rows: Sequence[T], paging: Paging) -> Page[T]:
    """A page of a short list read whole (a site's shifts, an account's sites)."""
    return Page(data=list(rows[paging.offset : paging.offset + paging.limit]), count=len(rows),
                limit=paging.limit, offset=paging.offset)  # fmt: skip


@router.get("/sites", summary="Sites whose roster the account reads")
def sites(session: SessionDep, scope: ScopeDep, paging: PagingDep) -> Page[SiteOut]:
    found = [SiteOut(id=s.id, name_zh=s.name_zh, name_en=s.name_en, editable=may_edit(scope, s))
             for s in roster_sites(session, scope)]  # fmt: skip
    return _page(found, paging)


@router.get("/guards", summary="Guards the account may roster")
def guards(session: SessionDep, scope: ScopeDep, paging: PagingDep) -> Page[GuardOut]:
    require_roster_role(scope)
    found = fetch(session, guards_query(scope), paging)
    return page(found.map(lambda row: GuardOut(id=row[0], name_zh=row[1], name_en=row[2])), paging)


@router.get("/sites/{site_id}/shifts", summary="A site's shift templates")
def shifts(session: SessionDep, scope: ScopeDep, site_id: str, paging: PagingDep) -> Page[ShiftOut]:
    return _page([shift_out(s) for s in roster_edit.list_shifts(session, scope, site_id)], paging)


@router.post("/sites/{site_id}/shifts", status_code=status.HTTP_201_CREATED, summary="Create a shift template")
def create_shift(session: SessionDep, scope: ScopeDep, site_id: str, body: ShiftIn) -> ShiftOut:
    shift = roster_edit.create_shift(session, scope, site_id, body.form())
    audit(session, scope, "roster.shift_create", f"shift:{shift.id}", roster_edit.shift_detail(shift))
    return shift_out(shift)


@router.put("/shifts/{shift_id}", summary="Change a shift template")
def update_shift(session: SessionDep, scope: ScopeDep, shift_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
                 body: ShiftIn) -> ShiftOut:  # fmt: skip
    shift = roster_edit.update_shift(session, scope, shift_id, body.form())
    audit(session, scope, "roster.shift_update", f"shift:{shift.id}", roster_edit.shift_detail(shift))
    return shift_out(shift)


@router.delete("/shifts/{shift_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an unused shift")
def delete_shift(session: SessionDep, scope: ScopeDep, shift_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)]) -> Response:
    shift = roster_edit.delete_shift(session, scope, shift_id)
    audit(session, scope, "roster.shift_delete", f"shift:{shift_id}", f"site={shift.site_id} name={shift.name_zh}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sites/{site_id}/assignments", summary="A site's assignments the account reads")
def assignments(session: SessionDep, scope: ScopeDep, site_id: str, paging: PagingDep) -> Page[AssignmentOut]:
    query = roster_week.assignments_query(scope, readable_site(session, scope, site_id))
    return page(fetch(session, query, paging).map(assignment_out), paging)


@router.post("/assignments", status_code=status.HTTP_201_CREATED, summary="Roster a guard on a shift")
def create_assignment(session: SessionDep, scope: ScopeDep, body: AssignmentIn) -> AssignmentOut:
    form = roster_edit.AssignmentForm(**body.model_dump())
    row = roster_edit.assign(session, scope, form)
    audit(session, scope, "roster.assign", f"assignment:{row.id}", roster_edit.assignment_detail(row))
    return assignment_out(row)


@router.post("/assignments/{assignment_id}/end", summary="End an assignment on a day")
def end_assignment(session: SessionDep, scope: ScopeDep, assignment_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
                   body: EndIn) -> AssignmentOut:  # fmt: skip
    row = roster_edit.end_assignment(session, scope, assignment_id, body.last_day)
    audit(session, scope, "roster.end", f"assignment:{row.id}", roster_edit.assignment_detail(row))
    return assignment_out(row)


@router.delete("/assignments/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an assignment that has not begun")  # fmt: skip
def delete_assignment(
    session: SessionDep, scope: ScopeDep, assignment_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)]
) -> Response:
    row = roster_edit.delete_assignment(session, scope, assignment_id)
    audit(session, scope, "roster.delete", f"assignment:{assignment_id}", roster_edit.assignment_detail(row))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sites/{site_id}/week", summary="The roster of the week holding a day")
def week(session: SessionDep, scope: ScopeDep, site_id: str, day: Annotated[date, Query(alias="date")]) -> WeekOut:
    return week_out(roster_week.week(session, scope, site_id, day))


@router.post("/sites/{site_id}/copy", summary="Copy a week's roster to the next weeks")
def copy(session: SessionDep, scope: ScopeDep, site_id: str, body: CopyIn) -> Page[AssignmentOut]:
    made = roster_week.copy_week(session, scope, site_id, body.date, body.weeks)
    monday = roster_week.monday_of(body.date)
    audit(session, scope, "roster.copy", f"site:{site_id}", f"week={monday} weeks={body.weeks} created={len(made)}")
    return Page(data=[assignment_out(r) for r in made], count=len(made), limit=max(len(made), 1), offset=0)


@router.get(
    "/sites/{site_id}/{kind}.csv",
    summary="A site's shifts or assignments as a registry list",
    response_class=Response,
    responses={200: {"content": {"text/csv; charset=utf-8": {}}}},
)
def export(session: SessionDep, scope: ScopeDep, site_id: str, kind: roster_csv.ListKind) -> Response:
    data = roster_csv.export_csv(session, scope, site_id, kind)
    name = f"{kind}-{site_id}.csv"
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.post("/sites/{site_id}/import/{kind}", summary="Import a site's shifts or assignments list")
async def import_site_list(
    session: SessionDep, scope: ScopeDep, site_id: str, kind: roster_csv.ListKind,
    file: Annotated[UploadFile, File()], preview: bool = False,
) -> dict[str, Any]:  # fmt: skip
    name = file.filename or "upload.csv"
    report = roster_csv.import_list(session, scope, site_id, kind, await file.read(), name, commit=not preview)
    if not preview:
        audit(session, scope, f"roster.import.{kind}", f"site:{site_id}", report.summary())
    return {"kind": kind, "rows": report.rows, "preview": preview,
            "outcomes": {o.value: report.outcomes[o] for o in Outcome},
            "refused": [r.public() for r in report.refused]}  # fmt: skip
