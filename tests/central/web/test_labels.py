"""Labels a person reads are Chinese first, English on request: no raw enum values on the pages."""

from __future__ import annotations

from central.web.i18n import MESSAGES, translator
from protocol.checkin import FaceStatus


def test_every_matched_by_and_face_status_has_both_languages() -> None:
    zh, en = translator("zh"), translator("en")
    assert (zh("mb_face"), zh("mb_id_number")) == ("人脸", "身份证号")
    assert (en("mb_face"), en("mb_id_number")) == ("Face", "ID number")
    for status in FaceStatus:
        assert f"fs_{status.value}" in MESSAGES, status
        assert zh(f"fs_{status.value}") != en(f"fs_{status.value}")
