"""A site's roster as the registry's own lists (``shifts`` and ``assignments``), out and back in.

The export has the columns and Chinese headers the registry import takes
(``central.registry.import_specs``), so a list exported, edited in a
spreadsheet and imported again changes only what was edited. The import here
is the registry's, limited to one site and to the guards the account may
roster: a file naming another site or another employer's guard is refused
whole, by line, before anything is written.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from sqlmodel import Session, col, select

from central.access.scope import Scope
from central.attendance.roster_edit import editable_shift
from central.attendance.roster_rights import editable_site, guard_filter, readable_site, row_filter
from central.errors import Unprocessable
from central.registry.import_files import Sheet, check_headers, read_list
from central.registry.import_specs import SPECS
from central.registry.importer import ImportReport, import_rows
from central.registry.models import Guard, Site
from central.registry.roster import Post, Shift, ShiftAssignment

ListKind = Literal["shifts", "assignments"]
KINDS: tuple[ListKind, ...] = ("shifts", "assignments")


def _hm(value: object) -> str:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else ""


def _shift_lines(session: Session, site: Site) -> list[list[object]]:
    shifts = session.exec(select(Shift).where(Shift.site_id == site.id).order_by(col(Shift.name_zh))).all()
    return [[s.site_id, s.name_zh, s.name_en, _hm(s.starts), _hm(s.ends), s.post_id or "", s.late_grace_min,
             s.early_grace_min] for s in shifts]  # fmt: skip


def _assignment_lines(session: Session, scope: Scope, site: Site) -> list[list[object]]:
    query = (
        select(ShiftAssignment, Shift.name_zh)
        .join(Shift, col(Shift.id) == col(ShiftAssignment.shift_id))
        .join(Guard, col(Guard.id) == col(ShiftAssignment.guard_id))
        .where(Shift.site_id == site.id, row_filter(scope, site))
        .order_by(col(ShiftAssignment.guard_id), col(ShiftAssignment.valid_from), col(ShiftAssignment.id))
    )
    return [[site.id, name, a.guard_id, a.valid_from.isoformat(), a.valid_to.isoformat() if a.valid_to else "",
             a.weekdays] for a, name in session.exec(query).all()]  # fmt: skip


def export_csv(session: Session, scope: Scope, site_id: str, kind: ListKind) -> bytes:
    """The site's shifts or assignments (those ``scope`` reads) as a registry list: UTF-8 CSV with a BOM."""
    site = readable_site(session, scope, site_id)
    lines = _shift_lines(session, site) if kind == "shifts" else _assignment_lines(session, scope, site)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in SPECS[kind].columns])
    writer.writerows(lines)
    return out.getvalue().encode("utf-8-sig")  # the BOM: Excel opens it as UTF-8


def _refuse(line: int, zh: str, en: str) -> Unprocessable:
    return Unprocessable(f"第 {line} 行{zh} / line {line}: {en}", code="roster.import_scope")


def _check_rows(session: Session, scope: Scope, site: Site, kind: ListKind, sheet: Sheet) -> None:
    """Refuse the file when a row names another site, a guard ``scope`` may not roster, or a shared shift."""
    mine = set(session.exec(select(Guard.id).where(guard_filter(scope))).all())
    shifts = {s.name_zh: s for s in session.exec(select(Shift).where(Shift.site_id == site.id)).all()}
    for line, row in enumerate(sheet.rows, start=2):
        if all(v is None or str(v).strip() == "" for v in row.values()):
            continue
        if str(row.get("site_id") or "").strip() != site.id:
            raise _refuse(line, f"「场所」应为 {site.id}", f"the site must be {site.id}")
        if kind == "assignments" and str(row.get("guard_id") or "").strip() not in mine:
            raise _refuse(line, "「保安员」不是本单位可排班的保安员", "the guard is not one this account may roster")
        post_id = str(row.get("post_id") or "").strip() if kind == "shifts" else ""
        if post_id and (post := session.get(Post, post_id)) is not None and post.site_id != site.id:
            raise _refuse(line, "「岗位」不属于本场所", "the post is not at this site")
        existing = shifts.get(str(row.get("name_zh") or "").strip()) if kind == "shifts" else None
        if existing is not None and existing.id is not None:
            editable_shift(session, scope, existing.id)


def import_list(
    session: Session, scope: Scope, site_id: str, kind: ListKind, data: bytes, filename: str, *, commit: bool
) -> ImportReport:
    """Import a shifts or assignments list for one site (``commit=False``: what it would do, nothing written)."""
    site = editable_site(session, scope, site_id)
    sheet = read_list(data, filename)
    check_headers(kind, sheet)
    _check_rows(session, scope, site, kind, sheet)
    return import_rows(session, kind, sheet, commit=commit)
