"""Timesheets a property firm pays from: daily and monthly, per site or per guard, as rows, CSV and XLSX.

Built on ``central.attendance.report``: a daily sheet has one line per duty
(or unrostered guard-day), a monthly one sums them per site and guard
(``group="site"``) or per guard across sites (``group="guard"``). Callers pass
the site and guard ids a reader may see; nothing here decides that.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import astuple, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from central import spreadsheets
from central.attendance.report import report
from central.attendance.rules import AttendanceRow
from central.registry.models import Site

Group = Literal["site", "guard"]

# Column headers, Chinese first, in the order of TimesheetRow's fields.
HEADERS = (
    "日期 / date",
    "场所 / site",
    "场所名称 / site name",
    "保安员 / guard",
    "姓名 / name",
    "Name",
    "班次 / shift",
    "首次签到 / first in",
    "末次签退 / last out",
    "排班 / shifts",
    "出勤 / present",
    "缺勤 / absent",
    "请假 / leave",
    "迟到 / late",
    "迟到分钟 / late min",
    "早退 / early leave",
    "早退分钟 / early min",
    "工时分钟 / worked min",
    "排班外出勤 / unrostered days",
    "补卡 / corrections",
    "刷卡 / taps",
    "违规 / violations",
)


@dataclass(frozen=True, slots=True)
class TimesheetRow:
    day: date | None  # None on monthly rows
    site_id: str | None  # None on a per-guard monthly row
    site_name_zh: str | None
    guard_id: str | None  # None: unregistered cards
    guard_name_zh: str | None
    guard_name_en: str | None
    shift_name_zh: str | None
    first_in: datetime | None
    last_out: datetime | None
    shifts: int = 0
    present: int = 0
    absent: int = 0
    leave: int = 0
    late: int = 0
    late_minutes: int = 0
    early_leave: int = 0
    early_minutes: int = 0
    worked_minutes: int = 0
    unrostered_days: int = 0
    corrections: int = 0
    taps: int = 0
    violations: int = 0


_COUNTS = tuple(f.name for f in fields(TimesheetRow))[9:]


def attended(row: AttendanceRow) -> bool:
    """A tap of the guard's own (or an approved correction) counts for the duty."""
    return row.first_in is not None or row.last_out is not None


def _line(row: AttendanceRow, site_names: dict[str, str]) -> TimesheetRow:
    rostered = row.shift_id is not None
    return TimesheetRow(
        day=row.day,
        site_id=row.site_id,
        site_name_zh=site_names.get(row.site_id or ""),
        guard_id=row.guard_id,
        guard_name_zh=row.guard_name_zh,
        guard_name_en=row.guard_name_en,
        shift_name_zh=row.shift_name_zh,
        first_in=row.first_in,
        last_out=row.last_out,
        shifts=int(rostered),
        present=int(rostered and attended(row)),
        absent=int(row.absent),
        leave=int(row.on_leave and not attended(row)),  # a guard on leave who came anyway was present
        late=int(row.late),
        late_minutes=row.late_minutes,
        early_leave=int(row.early_leave),
        early_minutes=row.early_minutes,
        worked_minutes=row.worked_minutes,
        unrostered_days=int(not rostered),
        corrections=int(row.corrected),
        taps=row.taps,
        violations=row.violations,
    )


def _add(total: TimesheetRow, line: TimesheetRow) -> TimesheetRow:
    sums: dict[str, int] = {name: getattr(total, name) + getattr(line, name) for name in _COUNTS}
    return replace(total, **sums)  # type: ignore[arg-type]  # every count field is an int


def _sum(lines: Iterable[TimesheetRow], group: Group) -> list[TimesheetRow]:
    bases: dict[tuple[str | None, str | None], TimesheetRow] = {}
    sums: dict[tuple[str | None, str | None], list[int]] = {}
    for line in lines:
        key = (line.site_id if group == "site" else None, line.guard_id)
        counts = sums.get(key)
        if counts is None:
            bases[key] = TimesheetRow(
                day=None,
                site_id=key[0],
                site_name_zh=line.site_name_zh if group == "site" else None,
                guard_id=line.guard_id,
                guard_name_zh=line.guard_name_zh,
                guard_name_en=line.guard_name_en,
                shift_name_zh=None,
                first_in=None,
                last_out=None,
            )
            counts = sums[key] = [0] * len(_COUNTS)
        for i, name in enumerate(_COUNTS):  # plain sums: a month of a city is tens of thousands of lines
            counts[i] += getattr(line, name)
    totals = [replace(bases[key], **dict(zip(_COUNTS, counts, strict=True))) for key, counts in sums.items()]  # type: ignore[arg-type]  # every count field is an int
    return sorted(totals, key=lambda r: (r.site_id or "", r.guard_id or ""))


# The day matrix's marks, as attendance sheets write them.
MARKS = {"present": "√", "late": "迟", "early": "早", "absent": "缺", "unrostered": "○", "leave": "假",
         "corrected": "补"}  # fmt: skip
MATRIX_LEGEND = (
    "√ 出勤 present · 迟 迟到 late · 早 早退 left early · 缺 缺勤 absent · 假 请假 on leave · "
    "补 补卡 with a correction · ○ 排班外出勤 taps, no shift · 空白 未排班 not rostered"
)


def day_mark(row: AttendanceRow) -> str:
    """One duty (or unrostered guard-day) as a mark of the day matrix."""
    if row.shift_id is None:
        return MARKS["unrostered"]
    if row.on_leave and not attended(row):
        return MARKS["leave"]
    if row.absent:
        return MARKS["absent"]
    marks = (MARKS["late"] if row.late else "") + (MARKS["early"] if row.early_leave else "")
    return (marks or MARKS["present"]) + (MARKS["corrected"] if row.corrected else "")


@dataclass(frozen=True, slots=True)
class Timesheet:
    kind: Literal["daily", "monthly"]
    first: date
    last: date
    rows: tuple[TimesheetRow, ...]
    # Monthly: per (site, guard) line, the marks of each day; empty for a daily sheet.
    marks: dict[tuple[str | None, str | None], dict[date, str]] = field(default_factory=dict)

    def matrix(self) -> list[tuple[object, ...]]:
        """The month as one row per guard and one column per day, then the legend."""
        days = [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]
        week = "一二三四五六日"
        header = ("场所 / site", "保安员 / guard", "姓名 / name",
                  *(f"{d.day}\n{week[d.weekday()]}" for d in days), "出勤 / present", "缺勤 / absent",
                  "请假 / leave")  # fmt: skip
        lines: list[tuple[object, ...]] = [header]
        for row in self.rows:
            marks = self.marks.get((row.site_id, row.guard_id), {})
            lines.append((row.site_name_zh or row.site_id or "", row.guard_id or "", row.guard_name_zh or "",
                          *(marks.get(d, "") for d in days), row.present, row.absent, row.leave))  # fmt: skip
        lines.append((MATRIX_LEGEND,))
        return lines

    def totals(self) -> TimesheetRow:
        """The sum of every count column (the bottom line of the sheet)."""
        empty = TimesheetRow(None, None, None, None, "合计", "total", None, None, None)
        total = empty
        for row in self.rows:
            total = _add(total, row)
        return total

    def table(self) -> list[tuple[object, ...]]:
        """Header, rows and totals, times in each site's local time without offset (as sheets show them)."""
        lines = [*self.rows, self.totals()]
        return [HEADERS, *(tuple(_cell(v) for v in astuple(r)) for r in lines)]

    def to_csv(self) -> bytes:
        return spreadsheets.to_csv(self.table())

    def to_xlsx(self) -> bytes:
        """The sheet; a monthly one also has the day matrix (日明细) on a second sheet."""
        more = [(f"日明细 {self.first:%Y-%m}", self.matrix(), 3)] if self.kind == "monthly" else []
        return spreadsheets.to_xlsx(self.table(), f"考勤 {self.first.isoformat()}", more=more)


def _cell(value: object) -> object:
    # Spreadsheets hold no time zones: a local wall-clock time is what a reader expects.
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _site_names(session: Session, rows: Iterable[AttendanceRow]) -> dict[str, str]:
    ids = {r.site_id for r in rows if r.site_id}
    return dict(session.exec(select(Site.id, Site.name_zh).where(col(Site.id).in_(ids))).all()) if ids else {}


def daily(
    session: Session,
    *,
    site_ids: Collection[str] | None = None,
    guard_ids: Collection[str] | None = None,
    employer_id: str | None = None,
    day: date,
) -> Timesheet:
    """One line per duty or unrostered guard-day on ``day``."""
    rows = report(session, site_ids=site_ids, guard_ids=guard_ids, employer_id=employer_id, first=day, last=day)
    names = _site_names(session, rows)
    return Timesheet("daily", day, day, tuple(_line(r, names) for r in rows))


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of ``month``'s calendar month."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def monthly(
    session: Session,
    *,
    site_ids: Collection[str] | None = None,
    guard_ids: Collection[str] | None = None,
    employer_id: str | None = None,
    month: date,
    group: Group = "site",
) -> Timesheet:
    """Sums over ``month``'s local days per site and guard (``group="site"``) or per guard (``"guard"``)."""
    first, last = month_bounds(month)
    rows = report(session, site_ids=site_ids, guard_ids=guard_ids, employer_id=employer_id, first=first, last=last)
    names = _site_names(session, rows)
    marks: dict[tuple[str | None, str | None], dict[date, str]] = {}
    for row in rows:
        if row.day is not None:
            day = marks.setdefault((row.site_id if group == "site" else None, row.guard_id), {})
            day[row.day] = day.get(row.day, "") + day_mark(row)  # two duties in a day: both marks
    return Timesheet("monthly", first, last, tuple(_sum((_line(r, names) for r in rows), group)), marks)
