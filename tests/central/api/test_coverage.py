"""Collection coverage (采集率) through the app: the demo registry's numbers, tenancy, filters, paging, exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.fixtures.collection import EXPECTED, LACKS, LOOSE_GUARD, LOOSE_NAME, enrol_demo_collection
from tests.fixtures.tenants import OTHER_POLICE, SECOND_FIRM, SECOND_GUARD, SECOND_USER, Apps

C1_GUARDS, C2_GUARDS = {"G1", "G2", "G3", "G4", "G6"}, {"G5"}

# (user, companies on its summary, guards on its missing list)
VIEWS = [
    ("admin", {"C1", "C2", SECOND_FIRM, None}, set(LACKS)),
    ("police", {"C1", "C2"}, {"G2", "G3", "G4", "G6"}),  # 望京: C1 serves S2 and S3, C2 manages S1
    (OTHER_POLICE, {SECOND_FIRM}, {SECOND_GUARD}),
    ("pingan", {"C1"}, {"G2", "G3", "G4", "G6"}),
    ("jinxiu", {"C2"}, set()),  # 陈静 has both
    (SECOND_USER, {SECOND_FIRM}, {SECOND_GUARD}),
]


@pytest.fixture
def collected(apps: Apps) -> Apps:
    enrol_demo_collection(apps.engine)
    return apps


def _numbers(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[k] for k in ("guards", "with_portrait", "with_fingerprint", "with_both", "rate"))


def test_the_summary_counts_the_demo_registry(collected: Apps) -> None:
    answer = collected.client("admin").get("/api/coverage").json()
    assert {row["company_id"]: _numbers(row) for row in answer["data"]} == EXPECTED
    assert answer["data"][-1]["company_id"] is None  # guards without an employer last
    assert answer["count"] == 4
    assert _numbers(answer["total"]) == (8, 3, 4, 2, 25.0)
    c1 = next(row for row in answer["data"] if row["company_id"] == "C1")
    assert c1["company_name_zh"] == "平安卫士保安服务有限公司"


@pytest.mark.parametrize(("user", "companies", "lacking"), VIEWS)
def test_each_account_counts_its_own_guards_only(
    collected: Apps, user: str, companies: set[str | None], lacking: set[str]
) -> None:
    client = collected.client(user)
    summary = client.get("/api/coverage").json()
    assert {row["company_id"] for row in summary["data"]} == companies
    assert summary["total"]["guards"] == sum(EXPECTED[c][0] for c in companies)
    missing = client.get("/api/coverage/missing", params={"limit": 1000}).json()
    assert {row["guard_id"] for row in missing["data"]} == lacking
    assert missing["count"] == len(lacking)
    for row in missing["data"]:
        assert row["lacks"] == LACKS[row["guard_id"]]


@pytest.mark.parametrize("user", ["jinxiu", SECOND_USER, "pingan", OTHER_POLICE])
def test_naming_another_tenant_widens_nothing(collected: Apps, user: str) -> None:
    client = collected.client(user)
    own = {row["company_id"] for row in client.get("/api/coverage").json()["data"]}
    for company in {"C1", "C2", SECOND_FIRM} - own:
        assert client.get("/api/coverage", params={"company_id": company}).json()["data"] == []
        assert client.get("/api/coverage/missing", params={"company_id": company}).json()["count"] == 0
        csv_body = client.get("/api/exports/coverage-missing.csv", params={"company_id": company}).content
        assert len(csv_body.decode("utf-8-sig").strip().splitlines()) == 1  # the header alone
    for jurisdiction in ("110105-WJ", "110106-XX"):
        listed = {
            row["company_id"]
            for row in client.get("/api/coverage", params={"jurisdiction": jurisdiction}).json()["data"]
        }
        assert listed <= own


def test_the_polices_reads_of_the_missing_list_are_audited(collected: Apps) -> None:
    collected.client("police").get("/api/coverage/missing", params={"company_id": "C1"})
    collected.client("police").get("/coverage")
    collected.client("pingan").get("/api/coverage/missing")
    entries = collected.client("admin").get("/api/audit", params={"action": "coverage.missing"}).json()["data"]
    assert [(e["actor"], e["target"], e["detail"]) for e in entries] == [
        ("police", "", "4 guards (page)"),
        ("police", "C1", "4 guards"),
    ]


def test_filters_by_company_jurisdiction_and_what_is_lacking(collected: Apps) -> None:
    admin = collected.client("admin")
    by_jurisdiction = admin.get("/api/coverage", params={"jurisdiction": "110106-XX"}).json()
    assert [row["company_id"] for row in by_jurisdiction["data"]] == [SECOND_FIRM]
    assert admin.get("/api/coverage", params={"company_id": "C1"}).json()["total"]["rate"] == 20.0

    def lacking(**params: str) -> list[str]:
        return [row["guard_id"] for row in admin.get("/api/coverage/missing", params=params).json()["data"]]

    assert lacking(company_id="C1", lacks="portrait") == ["G3", "G4", "G6"]
    assert lacking(company_id="C1", lacks="fingerprint") == ["G2", "G4", "G6"]
    assert lacking(lacks="portrait") == ["G-T2", "G3", "G4", "G6", LOOSE_GUARD]
    assert admin.get("/api/coverage/missing", params={"lacks": "iris"}).status_code == 422


def test_the_lists_are_paged(collected: Apps) -> None:
    admin = collected.client("admin")
    first = admin.get("/api/coverage/missing", params={"limit": 2}).json()
    second = admin.get("/api/coverage/missing", params={"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == len(LACKS)
    assert len(first["data"]) == len(second["data"]) == 2
    assert not {r["guard_id"] for r in first["data"]} & {r["guard_id"] for r in second["data"]}
    summary = admin.get("/api/coverage", params={"limit": 1, "offset": 1}).json()
    assert summary["count"] == 4
    assert [r["company_id"] for r in summary["data"]] == ["C1"]
    assert summary["total"]["guards"] == 8  # the total covers every company, not the page


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_exports_hold_the_summary_and_who_lacks_what(collected: Apps) -> None:
    admin = collected.client("admin")
    summary = _csv(admin.get("/api/exports/coverage.csv").content)
    assert summary[0][:3] == ["单位 / company", "单位名称 / company name", "保安员 / guards"]
    assert summary[2] == ["C1", "平安卫士保安服务有限公司", "5", "2", "2", "1", "20.0", "3", "3"]
    assert summary[-1][1:7] == ["合计", "8", "3", "4", "2", "25.0"]
    missing = admin.get("/api/exports/coverage-missing.csv")
    assert missing.headers["content-type"].startswith("text/csv")
    assert 'filename="coverage-missing.csv"' in missing.headers["content-disposition"]
    lines = {line[0]: line for line in _csv(missing.content)[1:]}
    assert set(lines) == set(LACKS)
    assert lines["G4"][5:] == ["无 / no", "0", "人像、指纹 / portrait, fingerprints"]
    assert lines["G2"][5:] == ["有 / yes", "0", "指纹 / fingerprints"]
    assert lines[LOOSE_GUARD][1] == f"'{LOOSE_NAME}"  # never a formula in a spreadsheet
    book = load_workbook(io.BytesIO(admin.get("/api/exports/coverage-missing.xlsx").content))
    sheet = book.active
    assert sheet is not None
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells[LOOSE_GUARD][1].value == f"'{LOOSE_NAME}"  # text, never evaluated (central.spreadsheets)
    assert cells[LOOSE_GUARD][1].data_type == "s"
    assert cells["G3"][7].value == "人像 / portrait"


def test_a_firms_export_holds_its_own_guards_only(collected: Apps) -> None:
    firm = collected.client(SECOND_USER)
    lines = _csv(firm.get("/api/exports/coverage-missing.csv").content)
    assert [line[0] for line in lines[1:]] == [SECOND_GUARD]
    summary = load_workbook(io.BytesIO(firm.get("/api/exports/coverage.xlsx").content)).active
    assert summary is not None
    assert [row[0].value for row in summary.iter_rows(min_row=2)] == [SECOND_FIRM, None]  # its line and the total


@pytest.mark.parametrize(("user", "companies", "lacking"), VIEWS)
def test_the_page_shows_each_account_its_own_gaps(
    collected: Apps, user: str, companies: set[str | None], lacking: set[str]
) -> None:
    page = collected.client(user).get("/coverage")
    assert page.status_code == 200
    assert '<a href="/coverage" class="active" id="nav-coverage">采集率</a>' in page.text
    for guard in LACKS:
        assert (f'id="missing-{guard}"' in page.text) is (guard in lacking), guard
    for company in ("C1", "C2", SECOND_FIRM):
        assert (f'id="coverage-{company}"' in page.text) is (company in companies), company
    if not lacking:
        assert "人像和指纹均已采集" in page.text


def test_the_page_filters_like_the_api(collected: Apps) -> None:
    page = collected.client("admin").get("/coverage", params={"company_id": "C1", "lacks": "fingerprint"}).text
    assert [g for g in LACKS if f'id="missing-{g}"' in page] == ["G2", "G4", "G6"]
    assert 'href="/api/exports/coverage-missing.csv?company_id=C1&amp;lacks=fingerprint"' in page
    assert 'id="coverage-C2"' in page  # the summary keeps every company
