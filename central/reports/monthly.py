"""The monthly report to the public security organs (月度统计), per jurisdiction or per company.

Regulators ask for monthly statistics of the guards at work in their area: how
many were rostered and on duty, what share held a valid 保安员证 (持证率),
what share the registry holds a face and a fingerprint of (采集率), attendance,
violations by rule and by company, wanted-person alerts and what became of
them, the cases opened and where they stand, and what the registry check finds
at the month's end. Attendance counts
shifts that start in the month (as the timesheets do); check-ins, violations
and alerts count by their own local day (Asia/Shanghai), so a night shift's
tap-out on the 1st is the next month's. A past month's report does not change
when today's taps arrive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from central.alerts.models import Alert
from central.attendance import timesheets
from central.attendance.report import report as attendance_report
from central.attendance.rules import AttendanceRow
from central.cases.models import Case
from central.checkins.models import Checkin, Violation
from central.compliance.check import check_registry
from central.registry.credentials import Certificate
from central.registry.faces import GuardTemplate
from central.registry.fingerprints import GuardFingerprint
from central.registry.models import CertStatus, Site
from central.registry.snapshot import DEFAULT_ZONE, cert_status_on

ATTENDANCE = ("shifts", "present", "absent", "late", "early_leave", "unrostered_days")


@dataclass
class MonthlyReport:
    first: date
    last: date
    jurisdiction: str | None  # None: every jurisdiction
    company_id: str | None  # None: every company
    sites: int = 0
    guards_rostered: int = 0  # with at least one rostered shift in the month
    guards_on_duty: int = 0  # present on at least one shift
    certified: int = 0  # of the rostered, a certificate in force on the month's last day
    with_face: int = 0  # of the rostered, at least one face template registered
    with_fingerprint: int = 0
    attendance: dict[str, int] = field(default_factory=dict)  # ATTENDANCE sums
    checkins: int = 0
    violations_by_code: dict[str, int] = field(default_factory=dict)
    violations_by_company: dict[str, int] = field(default_factory=dict)  # employer at the tap; "" for none
    alerts_by_status: dict[str, int] | None = None  # None in a company's report: alerts are the police's
    findings_by_code: dict[str, int] = field(default_factory=dict)  # the registry check on the last day
    cases_by_status: dict[str, int] = field(default_factory=dict)  # cases opened in the month, by status now

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def certified_rate(self) -> float | None:
        return self.rate(self.certified, self.guards_rostered)

    @property
    def face_rate(self) -> float | None:
        return self.rate(self.with_face, self.guards_rostered)

    @property
    def fingerprint_rate(self) -> float | None:
        return self.rate(self.with_fingerprint, self.guards_rostered)

    @property
    def violations(self) -> int:
        return sum(self.violations_by_code.values())


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(DEFAULT_ZONE)
    return datetime.combine(first, time(0), zone), datetime.combine(last + timedelta(days=1), time(0), zone)


def monthly_report(
    session: Session, month: date, *, jurisdiction: str | None = None, company_id: str | None = None
) -> MonthlyReport:
    """The report of ``month`` (any day in it) for ``jurisdiction`` and/or ``company_id`` (None: all)."""
    first, last = timesheets.month_bounds(month)
    report = MonthlyReport(first, last, jurisdiction, company_id)
    site_query = select(Site.id)
    if jurisdiction is not None:
        site_query = site_query.where(Site.jurisdiction == jurisdiction)
    site_ids = sorted(session.exec(site_query).all())
    report.sites = len(site_ids)

    rows = attendance_report(session, site_ids=site_ids, employer_id=company_id, first=first, last=last)
    rostered, report.attendance = _attendance(rows)
    report.guards_rostered = len(rostered)
    report.guards_on_duty = len({row.guard_id for row in rows if row.guard_id and row.shift_id is not None
                                 and timesheets.attended(row)})  # fmt: skip
    _registry_side(session, report, rostered)

    start, end = _bounds(first, last)
    in_month = [
        col(Checkin.site_id).in_(site_ids),
        col(Checkin.occurred_at) >= start,
        col(Checkin.occurred_at) < end,
    ]
    if company_id is not None:
        in_month.append(col(Checkin.employer_id) == company_id)
    report.checkins = session.exec(select(func.count()).select_from(Checkin).where(*in_month)).one()
    violations = (
        select(Violation.code, Checkin.employer_id, func.count())
        .join(Checkin, col(Checkin.event_id) == col(Violation.event_id))
        .where(*in_month)
        .group_by(col(Violation.code), col(Checkin.employer_id))
    )
    by_code: Counter[str] = Counter()
    by_company: Counter[str] = Counter()
    for code, employer, count in session.exec(violations).all():
        by_code[code] += count
        by_company[employer or ""] += count
    report.violations_by_code, report.violations_by_company = dict(by_code), dict(by_company)
    if company_id is None:
        alerts = (
            select(Alert.status, func.count())
            .where(col(Alert.site_id).in_(site_ids), col(Alert.occurred_at) >= start, col(Alert.occurred_at) < end)
            .group_by(Alert.status)
        )
        report.alerts_by_status = {str(status): count for status, count in session.exec(alerts).all()}
    cases = select(Case.status, func.count()).where(col(Case.opened_at) >= start, col(Case.opened_at) < end)
    if jurisdiction is not None:
        cases = cases.where(Case.jurisdiction == jurisdiction)
    if company_id is not None:
        cases = cases.where(col(Case.company_id) == company_id)
    report.cases_by_status = {str(s): n for s, n in session.exec(cases.group_by(col(Case.status))).all()}
    # A station's report needs only its sites' findings: the check of the rest of the city is not run.
    checked = check_registry(session, last, sites=site_ids if jurisdiction is not None else None)
    findings = [
        f
        for f in checked
        if (f.site_id in site_ids or (f.site_id is None and jurisdiction is None))
        and (company_id is None or f.company_id == company_id)
    ]
    report.findings_by_code = dict(Counter(f.code for f in findings))
    return report


def _attendance(rows: list[AttendanceRow]) -> tuple[set[str], dict[str, int]]:
    """The guards rostered in the month, and the ``ATTENDANCE`` sums over its rows (as the monthly timesheet
    counts them: a duty is a shift, present when the guard's own tap or a correction counts for it)."""
    sums = dict.fromkeys(ATTENDANCE, 0)
    rostered: set[str] = set()
    for row in rows:
        if row.shift_id is None:
            sums["unrostered_days"] += 1
        else:
            sums["shifts"] += 1
            sums["present"] += timesheets.attended(row)
            if row.guard_id:
                rostered.add(row.guard_id)
        sums["absent"] += row.absent
        sums["late"] += row.late
        sums["early_leave"] += row.early_leave
    return rostered, sums


def _registry_side(session: Session, report: MonthlyReport, guards: set[str]) -> None:
    """持证率 and 采集率 of the rostered guards, as the registry stood on the month's last day."""
    if not guards:
        return
    certificates: dict[str, list[Certificate]] = {}
    for certificate in session.exec(select(Certificate).where(col(Certificate.guard_id).in_(guards))).all():
        certificates.setdefault(certificate.guard_id, []).append(certificate)
    report.certified = sum(
        cert_status_on(certificates.get(guard, []), report.last) == CertStatus.VALID for guard in guards
    )
    faces = select(func.count(func.distinct(GuardTemplate.guard_id))).where(col(GuardTemplate.guard_id).in_(guards))
    fingers = select(func.count(func.distinct(GuardFingerprint.guard_id))).where(
        col(GuardFingerprint.guard_id).in_(guards)
    )
    report.with_face = session.exec(faces).one()
    report.with_fingerprint = session.exec(fingers).one()
