"""Words for the codes a page would otherwise show: rules, face and fingerprint results, terminal decisions.

A page never prints a code itself: ``code_label`` gives the word in the
page's language inside a ``<span title="CODE">``, so the code stays one hover
away for whoever reports a problem. Site and company ids become their names
through ``Names``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlmodel import Session, col, select

from central.registry.models import Company, Site
from protocol.checkin import FaceStatus, FingerprintStatus

# Short words for badges and table cells; the full reason with its article stays on the violations page.
RULES: dict[str, tuple[str, str]] = {
    "TERMINAL_UNKNOWN": ("终端未登记", "Unregistered terminal"),
    "CARD_UNKNOWN": ("未登记卡", "Unregistered card"),
    "CERT_MISSING": ("无保安员证", "No certificate"),
    "CERT_REVOKED": ("保安员证已吊销", "Certificate revoked"),
    "GUARD_BARRED": ("审查不合格", "Barred"),
    "EMPLOYER_UNLICENSED": ("单位无许可或未备案", "Employer unlicensed"),
    "SELF_RECRUITED_OUT_OF_AREA": ("自招保安越区执勤", "Self-recruited, out of area"),
    "NO_SERVICE_CONTRACT": ("无保安服务合同", "No service contract"),
    "CROSS_REGION_NOT_FILED": ("跨省服务未备案", "Cross-region, not filed"),
    "VENUE_NEEDS_LICENSED_COMPANY": ("娱乐场所须持证公司", "Venue needs a licensed company"),
    "LEVEL_INSUFFICIENT": ("等级不足", "Level too low"),
    "FACE_MISMATCH": ("人脸与持卡人不符", "Face mismatch"),
    "NO_FACE": ("未采集到人脸", "No usable face"),
    "FINGERPRINT_MISMATCH": ("指纹与持卡人不符", "Fingerprint mismatch"),
    "NO_FINGERPRINT": ("未采集到指纹", "No fingerprint"),
    "WANTED_MATCH": ("比中在逃人员", "Wanted-person match"),
    "CLOCK_SKEW": ("终端时钟不准", "Terminal clock off"),
}

FACE: dict[str, tuple[str, str]] = {
    FaceStatus.OK: ("人脸正常", "Face OK"),
    FaceStatus.NO_FACE: ("未检测到人脸", "No face"),
    FaceStatus.MULTIPLE_FACES: ("多张人脸", "Several faces"),
    FaceStatus.FACE_TOO_SMALL: ("人脸过小", "Face too small"),
    FaceStatus.BLURRED: ("照片模糊", "Blurred"),
    FaceStatus.TOO_DARK: ("光线过暗", "Too dark"),
    FaceStatus.NOT_FRONTAL: ("非正脸", "Not frontal"),
    FaceStatus.PHOTO_MISSING: ("无照片", "No photo"),
}

FINGERPRINT: dict[str, tuple[str, str]] = {
    FingerprintStatus.MATCHED: ("指纹相符", "Fingerprint matched"),
    FingerprintStatus.MISMATCH: ("指纹不符", "Fingerprint mismatch"),
    FingerprintStatus.NO_FINGER: ("未按指纹", "No finger"),
    FingerprintStatus.FAULT: ("指纹模块故障", "Fingerprint module fault"),
}

# What the terminal told the guard; a refusal's code is a rule's (RULES) or one of these.
DECISIONS: dict[str, tuple[str, str]] = {
    "OK": ("通过", "Accepted"),
    "NOT_ROSTERED": ("未排班", "Not rostered"),
    "TERMINAL_FAULT": ("终端故障", "Terminal fault"),
}

# The audit log's actions; an action with a detail after these (export.timesheet.csv) takes its prefix's words.
AUDIT: dict[str, tuple[str, str]] = {
    "account.create": ("创建账号", "Account created"),
    "account.disable": ("停用账号", "Account disabled"),
    "account.enable": ("启用账号", "Account enabled"),
    "account.password": ("修改密码", "Password changed"),
    "alert.raise": ("比中告警", "Alert raised"),
    "alert.status": ("告警处置", "Alert handled"),
    "alert.view": ("查看告警", "Alert viewed"),
    "apikey.create": ("创建 API 密钥", "API key created"),
    "apikey.revoke": ("吊销 API 密钥", "API key revoked"),
    "attendance_request.leave": ("提交请假", "Leave filed"),
    "attendance_request.correction": ("提交补卡", "Correction filed"),
    "attendance_request.approve": ("批准请假/补卡", "Leave or correction approved"),
    "attendance_request.reject": ("驳回请假/补卡", "Leave or correction rejected"),
    "attendance_request.withdraw": ("撤回请假/补卡", "Leave or correction withdrawn"),
    "audit.export": ("导出审计日志", "Audit log exported"),
    "card.issue": ("发卡", "Card issued"),
    "case.open": ("立案", "Case opened"),
    "case.order": ("责令整改", "Correction ordered"),
    "case.answer": ("整改回复", "Case answered"),
    "case.close": ("结案", "Case closed"),
    "case.reopen": ("重新整改", "Case reopened"),
    "card.return": ("退卡", "Card returned"),
    "coverage.missing": ("查看未采集名单", "Coverage gaps viewed"),
    "export.timesheet": ("导出考勤表", "Timesheet exported"),
    "export.coverage": ("导出采集率", "Coverage exported"),
    "export.coverage_missing": ("导出未采集名单", "Coverage gaps exported"),
    "guard.enrol": ("采集人像", "Portrait enrolled"),
    "guard.enrol_checkin": ("以签到照片采集人像", "Portrait from a check-in"),
    "guard.enrol_finger": ("采集指纹", "Fingerprint enrolled"),
    "guard.forget_faces": ("删除人像", "Faces removed"),
    "guard.forget_fingers": ("删除指纹", "Fingerprints removed"),
    "login.success": ("登录", "Logged in"),
    "login.failure": ("登录失败", "Login failed"),
    "login.lockout": ("登录锁定", "Login locked out"),
    "person.lookup": ("查询人员", "Person looked up"),
    "person.search": ("搜索人员", "People searched"),
    "registry.put": ("登记信息写入", "Registry record written"),
    "registry.delete": ("登记信息删除", "Registry record deleted"),
    "registry.import": ("批量导入", "Registry import"),
    "registry_hit.list": ("查看在册比中", "Registry hits viewed"),
    "registry_hit.new": ("在册人员比中", "Registry hit"),
    "retention.purge": ("到期清理", "Retention purge"),
    "roster.assign": ("排班", "Guard rostered"),
    "roster.copy": ("复制周排班", "Week copied"),
    "roster.delete": ("删除排班", "Assignment deleted"),
    "roster.end": ("结束排班", "Assignment ended"),
    "roster.import": ("导入排班", "Roster imported"),
    "roster.shift_create": ("新建班次", "Shift created"),
    "roster.shift_delete": ("删除班次", "Shift deleted"),
    "roster.shift_update": ("修改班次", "Shift changed"),
    "watchlist.add": ("布控新增", "Watchlist entry added"),
    "watchlist.list": ("查看布控名单", "Watchlist viewed"),
    "watchlist.push": ("下发布控名单", "Watchlist pushed"),
    "watchlist.remove": ("布控撤销", "Watchlist entry removed"),
    "watchlist.update": ("布控修改", "Watchlist entry changed"),
}

KINDS: dict[str, dict[str, tuple[str, str]]] = {
    "rule": RULES,
    "face": FACE,
    "fingerprint": FINGERPRINT,
    "decision": DECISIONS | RULES,
    "audit": AUDIT,
}


def known_codes() -> set[str]:
    """Every code that has a word: what a page must never show bare."""
    codes = {str(code) for kind, table in KINDS.items() if kind != "audit" for code in table}
    # "OK", "matched", "fault" are also plain words: only codes that read as codes.
    return {code for code in codes if code != "OK" and (code.isupper() or "_" in code)}


def words(kind: str, code: str, lang: str) -> str:
    """The word for ``code`` of ``kind`` in ``lang``; an uncatalogued code is shown as itself (never hidden)."""
    table = KINDS[kind]
    pair = table.get(code)
    if pair is None and kind == "audit":  # export.timesheet.csv: its prefix's words
        pair = table.get(code.rsplit(".", 1)[0])
    return code if pair is None else pair[0 if lang == "zh" else 1]


def code_label(kind: str, code: str, lang: str, css: str = "") -> Markup:
    """The word as HTML, the code as its tooltip."""
    if css:
        return Markup('<span class="{}" title="{}">{}</span>').format(css, code, words(kind, code, lang))
    return Markup('<span title="{}">{}</span>').format(code, words(kind, code, lang))


def labeller(lang: str) -> Callable[..., Markup]:
    """``label(kind, code, css="")`` for the templates, in the page's language."""

    def label(kind: str, code: str, css: str = "") -> Markup:
        return code_label(kind, code, lang, css)

    return label


@dataclass
class Names:
    """Names of sites and companies by id, for the ids a page's rows carry (also sites the reader may not open)."""

    sites: dict[str, tuple[str, str]] = field(default_factory=dict)
    companies: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, site_ids: Iterable[str | None], company_ids: Iterable[str | None] = ()) -> Names:
        wanted_sites = {s for s in site_ids if s}
        wanted_companies = {c for c in company_ids if c}
        sites = session.exec(select(Site.id, Site.name_zh, Site.name_en).where(col(Site.id).in_(wanted_sites)))
        companies = session.exec(
            select(Company.id, Company.name_zh, Company.name_en).where(col(Company.id).in_(wanted_companies))
        )
        return cls({i: (zh, en) for i, zh, en in sites.all()}, {i: (zh, en) for i, zh, en in companies.all()})

    def site(self, site_id: str | None, lang: str) -> str:
        return _name(self.sites, site_id, lang)

    def company(self, company_id: str | None, lang: str) -> str:
        return _name(self.companies, company_id, lang)


def _name(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    if not key:
        return "—"
    zh, en = table.get(key, (key, ""))
    return en if lang == "en" and en else zh
