"""Labels a person reads are Chinese first, English on request: no raw enum values on the pages."""

from __future__ import annotations

from central.checkins.rules import CATALOGUE, WANTED_MATCH
from central.web.i18n import MESSAGES, translator
from central.web.labels import code_label, words
from protocol.checkin import FaceStatus, FingerprintStatus


def test_every_matched_by_and_face_status_has_both_languages() -> None:
    zh, en = translator("zh"), translator("en")
    assert (zh("mb_face"), zh("mb_id_number")) == ("人脸", "身份证号")
    assert (en("mb_face"), en("mb_id_number")) == ("Face", "ID number")
    for status in FaceStatus:
        assert f"fs_{status.value}" in MESSAGES, status
        assert zh(f"fs_{status.value}") != en(f"fs_{status.value}")


def test_every_rule_fingerprint_and_decision_code_has_words_and_keeps_the_code_as_tooltip() -> None:
    for code in (*CATALOGUE, WANTED_MATCH.code):
        assert words("rule", code, "zh") != code, code
        assert words("rule", code, "en") != code, code
    for status in FingerprintStatus:
        assert words("fingerprint", status.value, "zh") != status.value, status
    assert words("decision", "NOT_ROSTERED", "zh") == "未排班"
    assert words("decision", "CERT_REVOKED", "en") == "Certificate revoked"  # a refusal's code is a rule's
    assert code_label("rule", "CERT_REVOKED", "zh", "badge") == (
        '<span class="badge" title="CERT_REVOKED">保安员证已吊销</span>'
    )
    assert words("rule", "SOMETHING_NEW", "zh") == "SOMETHING_NEW"  # uncatalogued: shown, not hidden


def test_audit_actions_have_words_also_with_their_detail() -> None:
    assert words("audit", "login.success", "zh") == "登录"
    assert words("audit", "export.timesheet.xlsx", "en") == "Timesheet exported"
    assert words("audit", "registry.put.guard", "zh") == "登记信息写入"
