"""The rules as pure functions: each fires when it should and stays quiet when it must not.

The table ``CASES`` holds, for every rule, at least one case where it fires and one
where it must not; ``test_every_rule_has_both_cases`` keeps it so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from central.checkins.rules import CATALOGUE, RULES, WANTED_MATCH, evaluate
from central.registry.models import CertStatus, CompanyKind, SiteKind
from central.registry.snapshot import CompanyInfo, GuardInfo, RegistrySnapshot, SiteInfo, TerminalInfo
from protocol.checkin import FaceStatus, FingerprintResult, FingerprintStatus
from tests.fixtures.central import make_event, wanted_hit

SECURITY_CO = CompanyInfo(id="C1", kind=CompanyKind.SECURITY_COMPANY, licensed=True, region="110105")
# A Zhejiang company: Beijing sites are in another province for it.
ZHEJIANG_CO = replace(SECURITY_CO, region="330106")
SELF_UNIT = CompanyInfo(id="C2", kind=CompanyKind.SELF_RECRUITING, licensed=True, region="110105")
OFFICE = SiteInfo(
    id="S2", name_zh="星光大厦", kind=SiteKind.OFFICE, region="110105", jurisdiction="110105-WJ", managed_by=None
)
KTV = replace(OFFICE, id="S3", kind=SiteKind.ENTERTAINMENT)
COMPOUND = replace(OFFICE, id="S1", kind=SiteKind.RESIDENTIAL, managed_by="C2")
GOOD_GUARD = GuardInfo(id="G1", name_zh="张伟", employer_id="C1", cert_status=CertStatus.VALID, level=3, barred=False)

# An in-order tap: G1 of licensed C1 at S2, which C1 serves under contract.
BASE = RegistrySnapshot(
    on=date(2026, 3, 2),
    terminal=TerminalInfo(id="T1", site_id="S2"),
    site=OFFICE,
    guard=GOOD_GUARD,
    employer=SECURITY_CO,
    contract_company_ids=frozenset({"C1"}),
)


def snap(**changes: Any) -> RegistrySnapshot:
    return replace(BASE, **changes)


def guard(**changes: Any) -> GuardInfo:
    return replace(GOOD_GUARD, **changes)


# (case id, code, event overrides, snapshot, whether the code must be among the results)
def finger(status: FingerprintStatus, score: int | None = None) -> FingerprintResult:
    return FingerprintResult(status=status, score=score)


MATCHED = finger(FingerprintStatus.MATCHED, 262)

CASES: list[tuple[str, str, dict[str, Any], RegistrySnapshot, bool]] = [
    ("in order", "CARD_UNKNOWN", {}, BASE, False),
    ("unknown terminal", "TERMINAL_UNKNOWN", {}, snap(terminal=None, site=None), True),
    ("known terminal", "TERMINAL_UNKNOWN", {}, BASE, False),
    ("unregistered card", "CARD_UNKNOWN", {}, snap(guard=None, employer=None), True),
    ("no certificate", "CERT_MISSING", {}, snap(guard=guard(cert_status=CertStatus.NONE)), True),
    ("revoked is not missing", "CERT_MISSING", {}, snap(guard=guard(cert_status=CertStatus.REVOKED)), False),
    ("revoked certificate", "CERT_REVOKED", {}, snap(guard=guard(cert_status=CertStatus.REVOKED)), True),
    ("valid certificate", "CERT_REVOKED", {}, BASE, False),
    ("no guard, no cert rule", "CERT_MISSING", {}, snap(guard=None, employer=None), False),
    ("barred guard", "GUARD_BARRED", {}, snap(guard=guard(barred=True)), True),
    ("not barred", "GUARD_BARRED", {}, BASE, False),
    ("licence lapsed", "EMPLOYER_UNLICENSED", {}, snap(employer=replace(SECURITY_CO, licensed=False)), True),
    ("guard without employer", "EMPLOYER_UNLICENSED", {}, snap(guard=guard(employer_id=None), employer=None), True),
    ("licensed employer", "EMPLOYER_UNLICENSED", {}, BASE, False),
    ("unknown card, no employer rule", "EMPLOYER_UNLICENSED", {}, snap(guard=None, employer=None), False),
    (
        "self-recruited away from own premises",
        "SELF_RECRUITED_OUT_OF_AREA",
        {},
        snap(employer=SELF_UNIT, contract_company_ids=frozenset()),
        True,
    ),
    (
        "self-recruited at own compound",
        "SELF_RECRUITED_OUT_OF_AREA",
        {},
        snap(site=COMPOUND, employer=SELF_UNIT),
        False,
    ),
    ("security company is not self-recruited", "SELF_RECRUITED_OUT_OF_AREA", {}, snap(site=COMPOUND), False),
    ("no contract that day", "NO_SERVICE_CONTRACT", {}, snap(contract_company_ids=frozenset()), True),
    ("another company's contract", "NO_SERVICE_CONTRACT", {}, snap(contract_company_ids=frozenset({"C9"})), True),
    ("contract active", "NO_SERVICE_CONTRACT", {}, BASE, False),
    (
        "self-recruiting units need no contract",
        "NO_SERVICE_CONTRACT",
        {},
        snap(site=COMPOUND, employer=SELF_UNIT, contract_company_ids=frozenset()),
        False,
    ),
    (
        "KTV guarded by self-recruited guard",
        "VENUE_NEEDS_LICENSED_COMPANY",
        {},
        snap(site=KTV, employer=SELF_UNIT),
        True,
    ),
    (
        "KTV guarded by unlicensed company",
        "VENUE_NEEDS_LICENSED_COMPANY",
        {},
        snap(site=KTV, employer=replace(SECURITY_CO, licensed=False)),
        True,
    ),
    ("KTV guarded by licensed company", "VENUE_NEEDS_LICENSED_COMPANY", {}, snap(site=KTV), False),
    ("office guarded by self-recruited guard", "VENUE_NEEDS_LICENSED_COMPANY", {}, snap(employer=SELF_UNIT), False),
    (
        "post needs level 2, guard is 3",
        "LEVEL_INSUFFICIENT",
        {},
        snap(terminal=TerminalInfo("T1", "S2", min_level=2)),
        True,
    ),
    ("post needs level 3, guard is 3", "LEVEL_INSUFFICIENT", {}, snap(terminal=TerminalInfo("T1", "S2", 3)), False),
    ("post has no level", "LEVEL_INSUFFICIENT", {}, BASE, False),
    ("face below threshold", "FACE_MISMATCH", {"verify_score": 0.31}, BASE, True),
    ("face at threshold", "FACE_MISMATCH", {"verify_score": 0.5}, BASE, False),
    ("not enrolled: no score", "FACE_MISMATCH", {"verify_score": None}, BASE, False),
    ("no face is not a mismatch", "FACE_MISMATCH", {"face_status": FaceStatus.NO_FACE}, BASE, False),
    ("no face", "NO_FACE", {"face_status": FaceStatus.NO_FACE}, BASE, True),
    ("blurred", "NO_FACE", {"face_status": FaceStatus.BLURRED}, BASE, True),
    ("camera down", "NO_FACE", {"face_status": FaceStatus.PHOTO_MISSING, "with_photo": False}, BASE, True),
    ("face ok", "NO_FACE", {}, BASE, False),
    (
        "no face, the finger matched",
        "NO_FACE",
        {"face_status": FaceStatus.NO_FACE, "fingerprint": MATCHED},
        BASE,
        False,
    ),
    (
        "someone else's finger",
        "FINGERPRINT_MISMATCH",
        {"fingerprint": finger(FingerprintStatus.MISMATCH, 3)},
        BASE,
        True,
    ),
    ("the holder's finger", "FINGERPRINT_MISMATCH", {"fingerprint": MATCHED}, BASE, False),
    ("no finger asked for", "FINGERPRINT_MISMATCH", {}, BASE, False),
    ("no finger placed", "NO_FINGERPRINT", {"fingerprint": finger(FingerprintStatus.NO_FINGER)}, BASE, True),
    ("module fault", "NO_FINGERPRINT", {"fingerprint": finger(FingerprintStatus.FAULT)}, BASE, True),
    ("finger read", "NO_FINGERPRINT", {"fingerprint": MATCHED}, BASE, False),
    ("out of province, no filing", "CROSS_REGION_NOT_FILED", {}, snap(employer=ZHEJIANG_CO), True),
    (
        "filed for another city",
        "CROSS_REGION_NOT_FILED",
        {},
        snap(employer=replace(ZHEJIANG_CO, filed_regions=frozenset({"1201"}))),
        True,
    ),
    (
        "filed for the city",
        "CROSS_REGION_NOT_FILED",
        {},
        snap(employer=replace(ZHEJIANG_CO, filed_regions=frozenset({"1101"}))),
        False,
    ),
    (
        "filed for the province",
        "CROSS_REGION_NOT_FILED",
        {},
        snap(employer=replace(ZHEJIANG_CO, filed_regions=frozenset({"11"}))),
        False,
    ),
    (
        "other district, same province",
        "CROSS_REGION_NOT_FILED",
        {},
        snap(employer=replace(SECURITY_CO, region="110108")),
        False,
    ),
    (
        "self-recruiting units file nothing across regions",
        "CROSS_REGION_NOT_FILED",
        {},
        snap(employer=replace(SELF_UNIT, region="330106")),
        False,
    ),
    (
        "unlicensed at KTV is also unlicensed",
        "EMPLOYER_UNLICENSED",
        {},
        snap(site=KTV, employer=replace(SECURITY_CO, licensed=False)),
        True,
    ),
    ("KTV with no card holder", "VENUE_NEEDS_LICENSED_COMPANY", {}, snap(site=KTV, guard=None, employer=None), False),
    ("barred guard at post without level", "LEVEL_INSUFFICIENT", {}, snap(guard=guard(barred=True, level=5)), False),
]


@pytest.mark.parametrize(
    ("code", "event_changes", "snapshot", "fires"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(code: str, event_changes: dict[str, Any], snapshot: RegistrySnapshot, fires: bool) -> None:
    changes = dict(event_changes)
    fingerprint = changes.pop("fingerprint", None)
    event = make_event(**changes).model_copy(update={"fingerprint": fingerprint})
    codes = [v.code for v in evaluate(event, snapshot)]
    assert (code in codes) is fires, codes


def test_in_order_tap_has_no_violations() -> None:
    assert evaluate(make_event(), BASE) == []


def test_wanted_match_is_not_a_violation() -> None:
    assert evaluate(make_event(hit=wanted_hit()), BASE) == []


def test_every_rule_is_catalogued_with_both_languages_and_a_source() -> None:
    described = [(r.code, r.reason_zh, r.reason_en, r.article) for r in RULES]
    w = WANTED_MATCH
    for code, reason_zh, reason_en, article in [*described, (w.code, w.reason_zh, w.reason_en, w.article)]:
        assert CATALOGUE.get(code, (reason_zh, reason_en, article)) == (reason_zh, reason_en, article)
        assert reason_en, code
        assert article, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reason_zh), code


def test_every_rule_has_both_cases() -> None:
    fires = {(code, fired) for _id, code, _e, _s, fired in CASES}
    for rule in RULES:
        assert {(rule.code, True), (rule.code, False)} <= fires, rule.code


def test_catalogue_follows_the_design_table() -> None:
    design = {
        "CARD_UNKNOWN", "CERT_MISSING", "CERT_REVOKED", "GUARD_BARRED", "EMPLOYER_UNLICENSED",
        "SELF_RECRUITED_OUT_OF_AREA", "NO_SERVICE_CONTRACT", "CROSS_REGION_NOT_FILED",
        "VENUE_NEEDS_LICENSED_COMPANY", "LEVEL_INSUFFICIENT", "FACE_MISMATCH", "NO_FACE",
    }  # fmt: skip
    assert design <= set(CATALOGUE)
    assert "WANTED_MATCH" not in CATALOGUE


def test_revoked_guard_at_ktv_reports_each_breach_once() -> None:
    snapshot = snap(site=KTV, guard=guard(cert_status=CertStatus.REVOKED), contract_company_ids=frozenset())
    codes = [v.code for v in evaluate(make_event(verify_score=0.1), snapshot)]
    assert codes == ["CERT_REVOKED", "NO_SERVICE_CONTRACT", "FACE_MISMATCH"]
