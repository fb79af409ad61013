"""The credential-holding rules of the 保安服务管理条例, as pure functions.

``evaluate(event, snapshot)`` needs no I/O: ``central.registry.snapshot`` builds the
``RegistrySnapshot`` from the database as of the event's local day. Each rule
is a ``Rule``: a code, a Chinese and an English reason, the article it rests
on, and a predicate; ``RULES`` lists them in the order of docs/rules.md's table.
A watchlist hit is not a violation: it becomes an alert (``central.alerts``),
described by ``WANTED_MATCH``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from central.registry.models import CertStatus, CompanyKind, SiteKind
from central.registry.snapshot import CompanyInfo, RegistrySnapshot
from protocol.checkin import CheckinEvent, FaceStatus, FingerprintStatus

_CERT_ARTICLE = "保安服务管理条例 第16条、第17条；公安机关实施保安服务管理条例办法 第24条"


@dataclass(frozen=True, slots=True)
class RuleViolation:
    code: str
    reason_zh: str
    reason_en: str
    article: str


Predicate = Callable[[CheckinEvent, RegistrySnapshot], bool]
Standing = Callable[[RegistrySnapshot], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    reason_zh: str
    reason_en: str
    article: str
    breached: Predicate
    # Set for a rule about the guard's standing at the site that day, whatever the tap: such
    # rules are judged ahead of the tap for the terminal's roster (the verdict at the post).
    standing: Standing | None = None

    def violation(self) -> RuleViolation:
        return RuleViolation(self.code, self.reason_zh, self.reason_en, self.article)


def _standing_rule(code: str, reason_zh: str, reason_en: str, article: str, standing: Standing) -> Rule:
    return Rule(code, reason_zh, reason_en, article, lambda _e, s: standing(s), standing)


def province(region: str) -> str:
    """The province part (first two digits) of an administrative division code."""
    return region[:2]


def _security_company(s: RegistrySnapshot) -> CompanyInfo | None:
    employer = s.employer
    return employer if employer is not None and employer.kind == CompanyKind.SECURITY_COMPANY else None


def _self_recruited_out_of_area(s: RegistrySnapshot) -> bool:
    if s.site is None or s.employer is None or s.employer.kind != CompanyKind.SELF_RECRUITING:
        return False
    return s.site.managed_by != s.employer.id


def _no_service_contract(s: RegistrySnapshot) -> bool:
    company = _security_company(s)
    if s.site is None or company is None:
        return False
    # A security company guarding premises it manages itself needs no contract with itself.
    return company.id not in s.contract_company_ids and s.site.managed_by != company.id


def _cross_region_not_filed(s: RegistrySnapshot) -> bool:
    company = _security_company(s)
    if s.site is None or company is None or province(s.site.region) == province(company.region):
        return False
    return not any(s.site.region.startswith(prefix) for prefix in company.filed_regions)


def _venue_needs_licensed_company(s: RegistrySnapshot) -> bool:
    if s.site is None or s.site.kind != SiteKind.ENTERTAINMENT or s.guard is None:
        return False
    company = _security_company(s)
    return company is None or not company.licensed


def _level_insufficient(s: RegistrySnapshot) -> bool:
    if s.guard is None or s.terminal is None or s.terminal.min_level is None:
        return False
    return s.guard.level > s.terminal.min_level  # level 1 is the highest


def _finger(e: CheckinEvent, status: FingerprintStatus) -> bool:
    return e.fingerprint is not None and e.fingerprint.status is status


def _face_mismatch(e: CheckinEvent, _s: RegistrySnapshot) -> bool:
    face = e.face
    if face.status != FaceStatus.OK or face.verify_score is None or face.verify_threshold is None:
        return False
    return face.verify_score < face.verify_threshold


RULES: tuple[Rule, ...] = (
    Rule(
        "TERMINAL_UNKNOWN",
        "终端未登记，无法确定岗位所在场所",
        "Terminal is not registered to any site",
        "—",
        lambda _e, s: s.site is None,
    ),
    Rule(
        "CARD_UNKNOWN",
        "卡片未登记到任何保安员",
        "Card is not registered to any guard",
        "—",
        lambda _e, s: s.guard is None,
    ),
    _standing_rule(
        "CERT_MISSING",
        "保安员未取得保安员证，不得上岗",
        "Guard holds no security guard certificate (保安员证)",
        _CERT_ARTICLE,
        lambda s: s.guard is not None and s.guard.cert_status == CertStatus.NONE,
    ),
    _standing_rule(
        "CERT_REVOKED",
        "保安员证已被吊销，不得上岗",
        "Guard's security guard certificate has been revoked",
        _CERT_ARTICLE,
        lambda s: s.guard is not None and s.guard.cert_status == CertStatus.REVOKED,
    ),
    _standing_rule(
        "GUARD_BARRED",
        "保安员背景审查不合格或列入黑名单",
        "Guard failed the background check or is blacklisted",
        "保安服务管理条例 第17条",
        lambda s: s.guard is not None and s.guard.barred,
    ),
    _standing_rule(
        "EMPLOYER_UNLICENSED",
        "用人单位无有效保安服务许可证或未备案",
        "Employer has no valid security service licence, or a self-recruiting unit has not filed",
        "保安服务管理条例 第9条、第14条",
        lambda s: s.guard is not None and (s.employer is None or not s.employer.licensed),
    ),
    _standing_rule(
        "SELF_RECRUITED_OUT_OF_AREA",
        "自行招用的保安员在本单位以外的场所执勤",
        "Self-recruited guard on duty outside the unit's own premises or managed property",
        "保安服务管理条例 第15条",
        _self_recruited_out_of_area,
    ),
    _standing_rule(
        "NO_SERVICE_CONTRACT",
        "保安服务公司与该场所当日无有效保安服务合同",
        "Security company has no active service contract for this site on this day",
        "保安服务管理条例 第21条",
        _no_service_contract,
    ),
    _standing_rule(
        "CROSS_REGION_NOT_FILED",
        "保安服务公司跨省提供服务未向服务所在地公安机关备案",
        "Security company serves outside its licensed province without a cross-region filing",
        "保安服务管理条例 第23条",
        _cross_region_not_filed,
    ),
    _standing_rule(
        "VENUE_NEEDS_LICENSED_COMPANY",
        "娱乐场所须由持证保安服务公司派驻保安员",
        "Entertainment venues must be guarded by a licensed security company's guards",
        "保安服务管理条例 第13条；娱乐场所管理条例 第26条",
        _venue_needs_licensed_company,
    ),
    _standing_rule(
        "LEVEL_INSUFFICIENT",
        "保安员职业等级低于该岗位要求",
        "Guard's occupational level is below what the post requires",
        "保安员国家职业技能标准（职业等级）",
        _level_insufficient,
    ),
    Rule(
        "FACE_MISMATCH",
        "人脸与持卡人不符（疑似冒用他人卡片）",
        "Face does not match the card holder (someone else's card?)",
        "考勤真实性",
        _face_mismatch,
    ),
    Rule(
        "NO_FACE",
        "未采集到可用人脸，已记录",
        "No usable face in the photo (recorded)",
        "—",
        # card + either: a matched fingerprint confirms the card holder where the face could not
        lambda e, _s: e.face.status != FaceStatus.OK and not _finger(e, FingerprintStatus.MATCHED),
    ),
    Rule(
        "FINGERPRINT_MISMATCH",
        "指纹与持卡人不符（疑似冒用他人卡片）",
        "Fingerprint does not match the card holder (someone else's card?)",
        "考勤真实性；天津 影像和指纹采集",
        lambda e, _s: _finger(e, FingerprintStatus.MISMATCH),
    ),
    Rule(
        "NO_FINGERPRINT",
        "未采集到指纹（未按指纹或指纹模块故障），已记录",
        "No fingerprint captured (none placed, or the module failed): recorded",
        "考勤真实性；天津 影像和指纹采集",
        lambda e, _s: _finger(e, FingerprintStatus.NO_FINGER) or _finger(e, FingerprintStatus.FAULT),
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
# Code -> (reason_zh, reason_en, article), the shape of the table in docs/rules.md.
CATALOGUE: dict[str, tuple[str, str, str]] = {r.code: (r.reason_zh, r.reason_en, r.article) for r in RULES}

# Not a violation: the police are alerted (central.alerts); described here so the table is whole.
WANTED_MATCH = RuleViolation(
    "WANTED_MATCH",
    "人脸或身份证号命中网上逃犯，已推送公安",
    "Matches a wanted person; the police are alerted",
    "网上逃犯比对",
)


def violation(code: str) -> RuleViolation:
    """The catalogued violation for ``code``; raises KeyError for an unknown code."""
    return BY_CODE[code].violation()


def evaluate(event: CheckinEvent, snapshot: RegistrySnapshot) -> list[RuleViolation]:
    """Every rule the event breaks, in catalogue order; empty when the tap is in order."""
    return [rule.violation() for rule in RULES if rule.breached(event, snapshot)]


def evaluate_standing(snapshot: RegistrySnapshot) -> list[RuleViolation]:
    """The rules the guard breaks by going on duty at the snapshot's site that day, whatever the tap."""
    return [rule.violation() for rule in RULES if rule.standing is not None and rule.standing(snapshot)]
