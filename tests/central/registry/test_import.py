"""Bulk import of registry lists: CSV and XLSX, Chinese headers, refused rows with reasons, idempotence."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from central.registry.credentials import Certificate, CompanyCredential
from central.registry.import_files import ImportFileError
from central.registry.importer import ImportReport, import_bytes
from central.registry.models import Card, Company, Guard, ServiceContract, Site
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import cert_status_on
from central.registry.upsert import Outcome
from tests.fixtures.identity import id_number

TABLES: list[type[SQLModel]] = [Company, CompanyCredential, Site, Guard, Certificate, Card, ServiceContract, Shift]


def csv_bytes(lines: list[list[str]]) -> bytes:
    return "\n".join(",".join(line) for line in lines).encode("utf-8-sig")


def xlsx_bytes(lines: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lists(p: str) -> list[tuple[str, str, bytes]]:
    """Companies, sites, guards (XLSX), contracts, shifts and assignments, ids prefixed with ``p``."""
    companies = csv_bytes(
        [
            ["编号", "名称", "类型", "行政区划", "许可证号", "发证日期"],
            [f"{p}C", "安保公司", "保安服务公司", "110105", f"京{p}", "2020-01-01"],
            [f"{p}U", "物业公司", "自行招用单位", "110105", f"备{p}", "2021/6/1"],
            [f"{p}X", "坏日期公司", "保安服务公司", "110105", f"京X{p}", "2020-13-45"],
            [f"{p}Y", "坏类型", "劳务派遣公司", "110105", "", ""],
        ]
    )
    sites = csv_bytes(
        [
            ["id", "name_zh", "kind", "region", "jurisdiction", "managed_by"],
            [f"{p}S", "小区", "住宅小区", "110105", "110105-WJ", f"{p}U"],
            [f"{p}T", "KTV", "entertainment", "110105", "110105-WJ", ""],
            [f"{p}Z", "无主", "office", "110105", "110105-WJ", f"{p}NOPE"],
        ]
    )
    guards = xlsx_bytes(
        [
            ["编号", "姓名", "身份证号", "用人单位", "保安员证号", "证书发证日期", "证书吊销日期", "卡号"],
            [f"{p}G1", "甲", id_number(1), f"{p}C", f"证{p}1", date(2021, 1, 1), None, f"{p}01"],
            [f"{p}G2", "乙", id_number(2), f"{p}C", f"证{p}2", "2021-01-01", "2026-02-01", f"{p}02"],
            [f"{p}G3", "丙", id_number(1), f"{p}C", None, None, None, None],  # G1's ID number
            [f"{p}G4", "丁", 110105198001010004.0, f"{p}C", None, None, None, None],  # a number cell
            [f"{p}G5", "戊", id_number(5), f"{p}NOPE", None, None, None, None],
            [None, None, None, None, None, None, None, None],
        ]
    )
    contracts = csv_bytes(
        [["单位", "场所", "起始日期", "截止日期", "合同编号"], [f"{p}C", f"{p}T", "2026-01-01", "2027-12-31", f"H{p}"]]
    )
    shifts = csv_bytes(
        [
            ["场所", "名称", "开始时间", "结束时间"],
            [f"{p}T", "夜班", "20:00", "08:00"],
            [f"{p}T", "坏班", "25:00", "08:00"],
        ]
    )
    assignments = csv_bytes(
        [
            ["场所", "班次", "保安员", "起始日期", "星期"],
            [f"{p}T", "夜班", f"{p}G1", "2026-03-01", "12345"],
            [f"{p}T", "早班", f"{p}G1", "2026-03-01", "12345"],
        ]
    )
    return [
        ("companies", "companies.csv", companies),
        ("sites", "sites.csv", sites),
        ("guards", "guards.xlsx", guards),
        ("contracts", "contracts.csv", contracts),
        ("shifts", "shifts.csv", shifts),
        ("assignments", "assignments.csv", assignments),
    ]


def import_all(engine: Engine, p: str, progress: Callable[[int, int], None] | None = None) -> list[ImportReport]:
    with Session(engine) as session:
        return [import_bytes(session, kind, data, name, progress) for kind, name, data in lists(p)]


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def test_import_reports_every_refused_row_and_keeps_the_rest(engine: Engine) -> None:
    p = uuid.uuid4().hex[:6].upper()
    reports = {r.kind: r for r in import_all(engine, p)}

    refused = {kind: [(r.line, r.reason) for r in report.refused] for kind, report in reports.items()}
    assert [line for line, _ in refused["companies"]] == [4, 5]
    assert "日期" in refused["companies"][0][1]
    assert "date" in refused["companies"][0][1]
    assert "security_company" in refused["companies"][1][1]
    assert [line for line, _ in refused["sites"]] == [4]
    assert [line for line, _ in refused["guards"]] == [4, 5, 6]
    assert "text cell" in refused["guards"][1][1]
    assert refused["guards"][2][1].startswith(f"「用人单位」: {p}NOPE 不存在")  # the file's header, the value
    assert reports["guards"].refused[2].message.startswith(f"第 6 行「用人单位」: {p}NOPE 不存在")
    assert [line for line, _ in refused["shifts"]] == [3]
    assert [line for line, _ in refused["assignments"]] == [3]
    assert reports["guards"].rows == 5  # the blank line is no record
    # No reason ever quotes an ID number.
    assert not any(id_number(1) in reason for report in refused.values() for _, reason in report)

    with Session(engine) as session:
        g2 = session.exec(select(Certificate).where(Certificate.guard_id == f"{p}G2")).all()
        assert cert_status_on(g2, date(2026, 1, 31)).value == "valid"
        assert cert_status_on(g2, date(2026, 2, 1)).value == "revoked"
        card = session.get(Card, f"iso14443a:{p}01")
        assert card is not None
        assert card.guard_id == f"{p}G1"
        shift = session.exec(select(Shift).where(Shift.site_id == f"{p}T")).one()
        assignment = session.exec(select(ShiftAssignment).where(ShiftAssignment.guard_id == f"{p}G1")).one()
        assert (assignment.shift_id, assignment.weekdays) == (shift.id, "12345")


def test_importing_the_same_files_twice_changes_nothing(engine: Engine) -> None:
    p = uuid.uuid4().hex[:6].upper()
    seen: list[tuple[int, int]] = []
    first = import_all(engine, p, progress=lambda done, total: seen.append((done, total)))
    before = counts(engine)
    second = import_all(engine, p)

    assert any(r.changed for r in first)
    assert not any(r.changed for r in second)
    assert [r.outcomes[Outcome.UNCHANGED] for r in second] == [sum(r.outcomes.values()) for r in first]
    assert [len(r.refused) for r in second] == [len(r.refused) for r in first]
    assert counts(engine) == before
    assert (6, 6) in seen  # the guards list (blank line included) reported its progress to the end


def test_a_changed_row_is_updated_in_place(engine: Engine) -> None:
    p = uuid.uuid4().hex[:6].upper()
    import_all(engine, p)
    renamed = csv_bytes([["编号", "名称", "类型", "行政区划"], [f"{p}C", "新名称", "保安服务公司", "110105"]])
    with Session(engine) as session:
        report = import_bytes(session, "companies", renamed, "companies.csv")
        company = session.get(Company, f"{p}C")
        assert company is not None
        assert company.name_zh == "新名称"
    assert report.outcomes == {Outcome.UPDATED: 1}


def test_unreadable_files_are_refused_whole(engine: Engine) -> None:
    with Session(engine) as session:
        with pytest.raises(ImportFileError, match="unsupported"):
            import_bytes(session, "companies", b"x", "list.pdf")
        with pytest.raises(ImportFileError, match="XLSX"):
            import_bytes(session, "companies", b"not a zip", "list.xlsx")
        with pytest.raises(ValueError, match="unknown list kind"):
            import_bytes(session, "spaceships", b"id\n1", "list.csv")


def test_gbk_csv_is_read() -> None:
    from central.registry.import_files import read_csv

    sheet = read_csv("编号,名称\nC9,平安保安\n".encode("gb18030"))
    assert sheet.header == ["id", "name_zh"]
    assert sheet.rows == [{"id": "C9", "name_zh": "平安保安"}]
    assert sheet.labels == {"id": "编号", "name_zh": "名称"}


def test_a_card_given_twice_is_refused_naming_both_rows_and_nothing_moves(engine: Engine) -> None:
    rows: list[list[object]] = [
        ["编号", "姓名", "身份证号", "用人单位", "卡号", "卡类型"],
        ["DG1", "甲", id_number(11), "C1", "0003887558", "ID卡"],
        ["DG2", "乙", id_number(12), "C1", "059,20934", "ID卡"],  # the same fob, as its other printed form
        ["DG3", "丙", id_number(13), "C1", "DEADBEEF", "IC卡"],  # 张伟's (G1's) card in the demo registry
    ]
    with Session(engine) as session:
        report = import_bytes(session, "guards", xlsx_bytes(rows), "guards.xlsx")
        holders = {c.uid: c.guard_id for c in session.exec(select(Card)).all()}
    reasons = {r.line: r.reason for r in report.refused}
    assert sorted(reasons) == [3, 4]
    assert "第 2 行" in reasons[3]
    assert "张伟" in reasons[4]
    assert holders["em4100:003B51C6"] == "DG1"
    assert holders["iso14443a:DEADBEEF"] == "G1"  # not moved
