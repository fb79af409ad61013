"""The credential-holding rules of the 保安服务管理条例, as pure functions.

``evaluate(event, snapshot)`` needs no I/O: ``central.registry`` builds the
``RegistrySnapshot`` from the database as of the event's time. Each rule is a
predicate; its code, Chinese and English reasons and legal source live in
``CATALOGUE`` so that the table in DESIGN.md and this file read alike.
A watchlist hit is not a violation: it becomes an alert (``central.alerts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from central.models import CertStatus, CompanyKind, SiteKind
from protocol.checkin import CheckinEvent, FaceStatus


@dataclass(frozen=True, slots=True)
class RuleViolation:
    code: str
    reason_zh: str
    reason_en: str
    article: str


@dataclass(frozen=True, slots=True)
class SiteInfo:
    id: str
    name_zh: str
    kind: SiteKind
    region: str
    jurisdiction: str
    managed_by: str | None


@dataclass(frozen=True, slots=True)
class TerminalInfo:
    id: str
    site_id: str
    min_level: int | None = None


@dataclass(frozen=True, slots=True)
class GuardInfo:
    id: str
    name_zh: str
    employer_id: str | None
    cert_status: CertStatus
    level: int
    barred: bool


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    id: str
    kind: CompanyKind
    licensed: bool  # security company: 保安服务许可证 valid on the day; self-recruiting: 备案 on file
    region: str


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """What the rules need to know, as of the event's local date at the site."""

    on: date
    terminal: TerminalInfo | None
    site: SiteInfo | None
    guard: GuardInfo | None
    employer: CompanyInfo | None
    contract_company_ids: frozenset[str]  # companies with a service contract for the site that day


CATALOGUE: dict[str, tuple[str, str, str]] = {
    "TERMINAL_UNKNOWN": ("终端未登记，无法确定岗位所在场所", "Terminal is not registered to any site", "—"),
    "CARD_UNKNOWN": ("卡片未登记到任何保安员", "Card is not registered to any guard", "—"),
    "CERT_MISSING": (
        "保安员未取得保安员证，不得上岗",
        "Guard holds no security guard certificate (保安员证)",
        "保安服务管理条例 第16条、第17条；公安机关实施保安服务管理条例办法 第24条",
    ),
    "CERT_REVOKED": (
        "保安员证已被吊销，不得上岗",
        "Guard's security guard certificate has been revoked",
        "保安服务管理条例 第16条、第17条；公安机关实施保安服务管理条例办法 第24条",
    ),
    "GUARD_BARRED": (
        "保安员背景审查不合格或列入黑名单",
        "Guard failed the background check or is blacklisted",
        "保安服务管理条例 第17条",
    ),
    "EMPLOYER_UNLICENSED": (
        "用人单位无有效保安服务许可证或未备案",
        "Employer has no valid security service licence, or a self-recruiting unit has not filed",
        "保安服务管理条例 第9条、第14条",
    ),
    "SELF_RECRUITED_OUT_OF_AREA": (
        "自行招用的保安员在本单位以外的场所执勤",
        "Self-recruited guard on duty outside the unit's own premises or managed property",
        "保安服务管理条例 第15条",
    ),
    "NO_SERVICE_CONTRACT": (
        "保安服务公司与该场所当日无有效保安服务合同",
        "Security company has no active service contract for this site on this day",
        "保安服务管理条例 第21条",
    ),
    "VENUE_NEEDS_LICENSED_COMPANY": (
        "娱乐场所须由持证保安服务公司派驻保安员",
        "Entertainment venues must be guarded by a licensed security company's guards",
        "保安服务管理条例 第13条；娱乐场所管理条例 第26条",
    ),
    "LEVEL_INSUFFICIENT": (
        "保安员职业等级低于该岗位要求",
        "Guard's occupational level is below what the post requires",
        "保安员国家职业技能标准（职业等级）",
    ),
    "FACE_MISMATCH": (
        "人脸与持卡人不符（疑似冒用他人卡片）",
        "Face does not match the card holder (someone else's card?)",
        "考勤真实性",
    ),
    "NO_FACE": ("未采集到可用人脸，已记录", "No usable face in the photo (recorded)", "—"),
}

Rule = Callable[[CheckinEvent, RegistrySnapshot], bool]


def _terminal_unknown(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.site is None


def _card_unknown(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.guard is None


def _cert_missing(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.guard is not None and s.guard.cert_status == CertStatus.NONE


def _cert_revoked(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.guard is not None and s.guard.cert_status == CertStatus.REVOKED


def _guard_barred(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.guard is not None and s.guard.barred


def _employer_unlicensed(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    return s.guard is not None and (s.employer is None or not s.employer.licensed)


def _self_recruited_out_of_area(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    if s.site is None or s.employer is None or s.employer.kind != CompanyKind.SELF_RECRUITING:
        return False
    return s.site.managed_by != s.employer.id


def _no_service_contract(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    if s.site is None or s.employer is None or s.employer.kind != CompanyKind.SECURITY_COMPANY:
        return False
    # A security company guarding premises it manages itself needs no contract with itself.
    return s.employer.id not in s.contract_company_ids and s.site.managed_by != s.employer.id


def _venue_needs_licensed_company(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    if s.site is None or s.site.kind != SiteKind.ENTERTAINMENT or s.guard is None:
        return False
    employer = s.employer
    return employer is None or employer.kind != CompanyKind.SECURITY_COMPANY or not employer.licensed


def _level_insufficient(_e: CheckinEvent, s: RegistrySnapshot) -> bool:
    if s.guard is None or s.terminal is None or s.terminal.min_level is None:
        return False
    return s.guard.level > s.terminal.min_level  # level 1 is the highest


def _face_mismatch(e: CheckinEvent, _s: RegistrySnapshot) -> bool:
    face = e.face
    if face.status != FaceStatus.OK or face.verify_score is None or face.verify_threshold is None:
        return False
    return face.verify_score < face.verify_threshold


def _no_face(e: CheckinEvent, _s: RegistrySnapshot) -> bool:
    return e.face.status != FaceStatus.OK


RULES: tuple[tuple[str, Rule], ...] = (
    ("TERMINAL_UNKNOWN", _terminal_unknown),
    ("CARD_UNKNOWN", _card_unknown),
    ("CERT_MISSING", _cert_missing),
    ("CERT_REVOKED", _cert_revoked),
    ("GUARD_BARRED", _guard_barred),
    ("EMPLOYER_UNLICENSED", _employer_unlicensed),
    ("SELF_RECRUITED_OUT_OF_AREA", _self_recruited_out_of_area),
    ("NO_SERVICE_CONTRACT", _no_service_contract),
    ("VENUE_NEEDS_LICENSED_COMPANY", _venue_needs_licensed_company),
    ("LEVEL_INSUFFICIENT", _level_insufficient),
    ("FACE_MISMATCH", _face_mismatch),
    ("NO_FACE", _no_face),
)


def violation(code: str) -> RuleViolation:
    """The catalogued violation for ``code``; raises KeyError for an unknown code."""
    reason_zh, reason_en, article = CATALOGUE[code]
    return RuleViolation(code, reason_zh, reason_en, article)


def evaluate(event: CheckinEvent, snapshot: RegistrySnapshot) -> list[RuleViolation]:
    """Every rule the event breaks, in catalogue order; empty when the tap is in order."""
    return [violation(code) for code, rule in RULES if rule(event, snapshot)]
