"""Import refusals in the user's own words: their header, their value; wrong headers refused once; templates."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.registry.credentials import BarKind, GuardBar
from central.registry.import_cells import KIND_WORDS
from central.registry.import_files import ImportHeaderError, read_csv, template_csv
from central.registry.import_specs import SPECS
from central.registry.importer import import_bytes
from central.registry.models import Company, CompanyKind, Site, SiteKind
from tests.central.registry.test_import import csv_bytes
from tests.fixtures.identity import id_number
from tests.fixtures.tenants import Apps


def test_a_refusal_names_the_files_header_and_quotes_the_value(sqlite_engine: Engine) -> None:
    guards = csv_bytes(
        [
            ["工号", "姓名", "身份证号", "用人单位", "等级"],  # 工号: not ours, ignored; 编号 is missing
            ["WG1", "甲", id_number(21), "C99", "5"],
        ]
    )
    with Session(sqlite_engine) as session, pytest.raises(ImportHeaderError) as refused:
        import_bytes(session, "guards", guards, "保安员.csv")
    assert "「编号」(id)" in str(refused.value)  # once, for the file, with the headers expected
    assert "应有的列：编号、姓名、英文名（可选 optional）、身份证号、用人单位（可选 optional）" in str(refused.value)
    assert "expected: id, name_zh, name_en?, id_number, employer_id?" in str(refused.value)

    rows = [
        ["编号", "姓名", "身份证号", "用人单位", "等级", "证书发证日期", "保安员证号"],
        ["WG1", "甲", id_number(21), "C99", "5", "", ""],
        ["WG2", "乙", id_number(22)[:-1] + "0", "C1", "5", "", ""],  # a wrong check digit
        ["WG3", "丙", id_number(23), "C1", "五", "", ""],
        ["WG4", "丁", id_number(24), "C1", "5", "2024-02-30", "证1"],
    ]
    with Session(sqlite_engine) as session:
        report = import_bytes(session, "guards", csv_bytes(rows), "保安员.csv")
    messages = [r.message for r in report.refused]
    assert messages[0].startswith("第 2 行「用人单位」: C99 不存在")
    assert messages[0].endswith('line 2, "用人单位": C99 does not exist (no such company)')
    assert messages[1].startswith("第 3 行「身份证号」: ")
    assert id_number(22)[:-1] not in messages[1]  # the number masked, never quoted whole
    assert messages[2].startswith("第 4 行「等级」: 五 须为整数")
    assert messages[3].startswith("第 5 行「证书发证日期」: 2024-02-30 不是有效日期")
    assert [(r.column, r.value) for r in report.refused][0] == ("用人单位", "C99")


@pytest.mark.parametrize(("word", "value"), list(KIND_WORDS.items()))
def test_every_chinese_word_of_an_enum_is_accepted(sqlite_engine: Engine, word: str, value: object) -> None:
    with Session(sqlite_engine) as session:
        if isinstance(value, CompanyKind):
            lines = [["编号", "名称", "类型", "行政区划"], ["WC", "某单位", word, "110105"]]
            import_bytes(session, "companies", csv_bytes(lines), "c.csv")
            assert (company := session.get(Company, "WC")) is not None
            assert company.kind == value
        elif isinstance(value, SiteKind):
            lines = [["编号", "名称", "类型", "行政区划", "辖区派出所"], ["WS", "某场所", word, "110105", "110105-WJ"]]
            import_bytes(session, "sites", csv_bytes(lines), "s.csv")
            assert (site := session.get(Site, "WS")) is not None
            assert site.kind == value
        else:
            assert isinstance(value, BarKind)
            lines = [["保安员", "类型", "起始日期"], ["G1", word, "2026-01-01"]]
            report = import_bytes(session, "bars", csv_bytes(lines), "b.csv")
            assert report.refused == []
            assert session.query(GuardBar).filter_by(guard_id="G1").one().kind == value


def test_every_enum_value_has_a_chinese_word() -> None:
    for enum in (CompanyKind, SiteKind, BarKind):
        assert set(enum) <= set(KIND_WORDS.values()), enum


def test_an_unknown_word_is_refused_with_the_words_accepted(sqlite_engine: Engine) -> None:
    lines = [["编号", "名称", "类型", "行政区划"], ["WC", "某单位", "劳务派遣公司", "110105"]]
    with Session(sqlite_engine) as session:
        [refusal] = import_bytes(session, "companies", csv_bytes(lines), "c.csv").refused
    assert refusal.message.startswith(
        "第 2 行「类型」: 劳务派遣公司 无效，可填 保安服务公司 (security_company), 自行招用单位 (self_recruiting)"
    )


@pytest.mark.parametrize("kind", list(SPECS))
def test_a_template_is_a_list_the_importer_reads_whole(kind: str) -> None:
    for lang in ("zh", "en"):
        sheet = read_csv(template_csv(kind, lang))
        assert sheet.header == [c.field for c in SPECS[kind].columns]
        assert sheet.rows == []
    assert template_csv(kind).startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8


def test_the_template_download(apps: Apps) -> None:
    response = apps.client("admin").get("/api/admin/import/guards/template")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:4] == ["编号", "姓名", "英文名", "身份证号"]
    assert (
        apps.client("admin")
        .get("/api/admin/import/guards/template", params={"lang": "en"})
        .text.startswith("\ufeffid,name_zh")
    )
    assert apps.client("admin").get("/api/admin/import/rockets/template").status_code == 404
    assert apps.client("pingan").get("/api/admin/import/guards/template").status_code == 403
    bad = apps.client("admin").post("/api/admin/import/guards", files={"file": ("g.csv", b"x,y\n1,2\n", "text/csv")})
    assert bad.status_code == 422
    assert bad.json()["code"] == "import.headers"
    assert "「编号」(id)" in bad.json()["detail"]
