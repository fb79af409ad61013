"""The monthly report as labelled rows: what the command prints, the XLSX holds and the page shows.

Each row is (section, item, value); items are Chinese first with the English after
a slash, codes appear only beside their words, and companies by name.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from central.cases.models import CaseStatus
from central.cases.workflow import STATUS_WORDS
from central.checkins.rules import CATALOGUE
from central.compliance.check import KINDS
from central.registry.models import Company
from central.reports.monthly import MonthlyReport

Row = tuple[str, str, object]

_ATTENDANCE = {
    "shifts": "应到班次 / shifts rostered",
    "present": "出勤 / present",
    "absent": "缺勤 / absent",
    "late": "迟到 / late",
    "early_leave": "早退 / left early",
    "unrostered_days": "非排班刷卡天数 / days with taps but no shift",
}
_ALERTS = {
    "new": "待处置 / new",
    "acknowledged": "已确认 / acknowledged",
    "dispatched": "已出警 / dispatched",
    "false_positive": "误报 / false positive",
    "closed": "已结案 / closed",
}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _rule(code: str) -> str:
    if code in CATALOGUE:
        zh, en, _article = CATALOGUE[code]
    elif code in KINDS:
        zh, en, _article = KINDS[code]
        zh, en = zh.replace("将于 {due} 到期", "即将到期"), en.replace(" ends on {due}", " ending")
    else:
        return code
    return f"{zh} / {en}"  # words, as people read the report (the code is the page's tooltip, not its text)


def report_rows(session: Session, report: MonthlyReport) -> list[Row]:
    ids = [c for c in (*report.violations_by_company, report.company_id) if c]
    names = dict(session.exec(select(Company.id, Company.name_zh).where(col(Company.id).in_(ids))).all())
    scope = report.jurisdiction or "全部 / all"
    rows: list[Row] = [
        ("范围 / scope", "月份 / month", f"{report.first:%Y-%m}"),
        ("范围 / scope", "辖区 / jurisdiction", scope),
        (
            "范围 / scope",
            "单位 / company",
            names.get(report.company_id, report.company_id) if report.company_id else "全部 / all",
        ),
        ("范围 / scope", "场所数 / sites", report.sites),
        ("保安员 / guards", "排班人数 / rostered", report.guards_rostered),
        ("保安员 / guards", "在岗人数 / on duty", report.guards_on_duty),
        ("保安员 / guards", "持证人数 / with a valid certificate", report.certified),
        ("保安员 / guards", "持证率 / certificate rate", _percent(report.certified_rate)),
        ("保安员 / guards", "人脸采集率 / face enrolment rate", _percent(report.face_rate)),
        ("保安员 / guards", "指纹采集率 / fingerprint enrolment rate", _percent(report.fingerprint_rate)),
    ]
    rows += [("考勤 / attendance", label, report.attendance.get(name, 0)) for name, label in _ATTENDANCE.items()]
    rows.append(("考勤 / attendance", "刷卡次数 / check-ins", report.checkins))
    rows.append(("违规 / violations", "合计 / total", report.violations))
    for code, count in sorted(report.violations_by_code.items(), key=lambda item: (-item[1], item[0])):
        rows.append(("违规·按规则 / violations by rule", _rule(code), count))
    for company, count in sorted(report.violations_by_company.items(), key=lambda item: (-item[1], item[0])):
        shown = names.get(company, company) if company else "无登记单位 / no employer"
        rows.append(("违规·按单位 / violations by company", shown, count))
    if report.alerts_by_status is not None:
        rows.append(("比中告警 / wanted-person alerts", "合计 / total", sum(report.alerts_by_status.values())))
        for status, label in _ALERTS.items():
            if status in report.alerts_by_status:
                rows.append(("比中告警 / wanted-person alerts", label, report.alerts_by_status[status]))
    rows.append(("案件 / cases", "本月立案 / opened this month", sum(report.cases_by_status.values())))
    for status, count in sorted(report.cases_by_status.items()):
        zh, en = STATUS_WORDS.get(CaseStatus(status), (status, status))
        rows.append(("案件 / cases", f"{zh} / {en}", count))
    for code, count in sorted(report.findings_by_code.items()):
        rows.append((f"月末登记核查 / registry check on {report.last}", _rule(code), count))
    return rows
