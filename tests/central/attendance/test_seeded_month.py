"""A seeded month (50 sites, 500 guards, ~30,000 taps): timesheets agree with the generator's ground truth."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, event
from sqlmodel import Session

from central.attendance import timesheets
from central.db.engine import make_engine
from central.demo.month import FIRST, ROGUE, Expected, SeededMonth, generate
from central.reports.monthly import monthly_report
from central.schema import create_db
from guardpost.cli import main

COUNTS = list(asdict(Expected()))


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, SeededMonth]]:
    data_dir = tmp_path_factory.mktemp("month")
    engine = make_engine(f"sqlite:///{data_dir / 'central.sqlite3'}")

    def no_fsync(dbapi_conn: Any, _record: object) -> None:
        # Durability is not under test here; fsync per commit would triple the seeding time.
        dbapi_conn.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "connect", no_fsync)
    create_db(engine)
    seeded = generate(engine, Path(data_dir))
    yield engine, seeded
    engine.dispose()


def test_the_month_is_the_size_asked_for(month: tuple[Engine, SeededMonth]) -> None:
    _engine, seeded = month
    assert len(seeded.truth) == 500
    assert {sid for sid, _gid in seeded.truth} == {f"MS{i:02d}" for i in range(50)}
    assert 29_000 <= seeded.taps <= 32_000
    assert seeded.through_rules > 500
    total = Expected(**{k: sum(getattr(e, k) for e in seeded.truth.values()) for k in COUNTS})
    # Every kind of case was injected.
    assert min(total.absent, total.late, total.early_leave, total.unrostered_days, total.violations) > 50


def test_monthly_timesheet_per_site_and_guard_matches_the_ground_truth(month: tuple[Engine, SeededMonth]) -> None:
    engine, seeded = month
    with Session(engine) as session:
        sheet = timesheets.monthly(session, month=FIRST)
    got = {(r.site_id, r.guard_id): {k: getattr(r, k) for k in COUNTS} for r in sheet.rows}
    expected = {key: asdict(e) for key, e in seeded.truth.items()}
    wrong = {key: (got.get(key), want) for key, want in expected.items() if got.get(key) != want}
    assert not wrong, f"{len(wrong)} rows differ, e.g. {next(iter(wrong.items()))}"
    assert set(got) == set(expected)


def test_per_guard_sheet_of_some_sites_sums_the_same(month: tuple[Engine, SeededMonth]) -> None:
    engine, seeded = month
    sites = ["MS00", "MS10", "MS49"]  # the revoked, the barred and the lapsed-licence cases
    with Session(engine) as session:
        sheet = timesheets.monthly(session, site_ids=sites, month=FIRST, group="guard")
    assert all(r.site_id is None for r in sheet.rows)
    for name in COUNTS:
        want = sum(getattr(e, name) for (sid, _g), e in seeded.truth.items() if sid in sites)
        assert getattr(sheet.totals(), name) == want, name


def test_daily_sheets_add_up_to_the_month_for_one_guard(month: tuple[Engine, SeededMonth]) -> None:
    engine, seeded = month
    guard = "MG0000"  # certificate revoked on the 16th: violations from then on
    with Session(engine) as session:
        days = [timesheets.daily(session, guard_ids=[guard], day=date(2026, 3, d)) for d in range(1, 32)]
    for name in COUNTS:
        assert sum(getattr(sheet.totals(), name) for sheet in days) == getattr(seeded.truth[("MS00", guard)], name)
    assert days[0].totals().violations == 0
    assert days[20].totals().violations > 0


def test_csv_and_xlsx_carry_the_same_totals(month: tuple[Engine, SeededMonth]) -> None:
    engine, _seeded = month
    with Session(engine) as session:
        sheet = timesheets.monthly(session, site_ids=["MS49"], month=FIRST)
    totals = sheet.totals()

    lines = list(csv.reader(io.StringIO(sheet.to_csv().decode("utf-8-sig"))))
    assert lines[0][0] == "日期 / date"
    assert len(lines) == len(sheet.rows) + 2
    sheet_rows = load_workbook(io.BytesIO(sheet.to_xlsx())).worksheets[0].iter_rows(values_only=True)
    book = [list(r) for r in sheet_rows]
    assert book[0] == lines[0]
    column = lines[0].index("缺勤 / absent")
    assert int(lines[-1][column]) == book[-1][column] == totals.absent
    assert lines[-1][4] == "合计"


def test_the_monthly_report_matches_the_ground_truth(month: tuple[Engine, SeededMonth]) -> None:
    engine, seeded = month
    with Session(engine) as session:
        report = monthly_report(session, FIRST, jurisdiction="110105-WJ")
        other = monthly_report(session, FIRST, jurisdiction="310101-XX")
        rogue = monthly_report(session, FIRST, company_id=ROGUE)

    truth = seeded.truth.values()
    assert (report.sites, report.guards_rostered) == (50, 500)
    assert report.guards_on_duty == sum(1 for e in truth if e.present)
    assert (report.certified, report.certified_rate) == (497, 99.4)  # three certificates revoked on the 16th
    assert (report.face_rate, report.fingerprint_rate) == (0.0, 0.0)  # the month enrols no one
    for name in ("shifts", "present", "absent", "late", "early_leave", "unrostered_days"):
        assert report.attendance[name] == sum(getattr(e, name) for e in truth), name
    assert report.checkins == seeded.taps_in_month  # by the tap's own day: April 1's tap-outs are April's
    assert report.violations_by_code == dict(seeded.violations_by_code)
    assert report.violations_by_company == dict(seeded.violations_by_company)
    assert report.alerts_by_status == {}
    assert other.sites == other.guards_rostered == other.checkins == 0
    assert rogue.guards_rostered == 2
    assert rogue.violations_by_code == {"EMPLOYER_UNLICENSED": seeded.violations_by_company[ROGUE]}
    assert rogue.alerts_by_status is None


def test_the_report_command_writes_the_month_as_xlsx(
    month: tuple[Engine, SeededMonth], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, seeded = month
    data_dir = Path(str(engine.url.database)).parent
    config = tmp_path / "central.toml"
    config.write_text(f'data_dir = "{data_dir}"\n[access]\ndemo = true\n', encoding="utf-8")
    out = tmp_path / "2026-03.xlsx"

    code = main(["report", "--config", str(config), "monthly", "--month", "2026-03", "--out", str(out)])

    assert code == 0, capsys.readouterr().err
    sheet = load_workbook(out).active
    assert sheet is not None
    values = {(row[0], row[1]): row[2] for row in sheet.iter_rows(values_only=True)}
    assert values[("保安员 / guards", "持证率 / certificate rate")] == "99.4%"
    assert values[("考勤 / attendance", "刷卡次数 / check-ins")] == seeded.taps_in_month
    revoked = "保安员证已被吊销，不得上岗 / Guard's security guard certificate has been revoked"
    assert values[("违规·按规则 / violations by rule", revoked)] == seeded.violations_by_code["CERT_REVOKED"]
    assert values[("月末登记核查 / registry check on 2026-03-31", revoked)] == 3  # three guards still rostered


def test_the_monthly_xlsx_has_the_day_matrix(month: tuple[Engine, SeededMonth]) -> None:
    engine, seeded = month
    with Session(engine) as session:
        sheet = timesheets.monthly(session, site_ids=["MS00"], month=FIRST)
    book = load_workbook(io.BytesIO(sheet.to_xlsx()))

    assert book.sheetnames == ["考勤 2026-03-01", "日明细 2026-03"]
    matrix = book["日明细 2026-03"]
    header = [c.value for c in matrix[1]]
    assert header[:4] == ["场所 / site", "保安员 / guard", "姓名 / name", "1\n日"]  # 2026-03-01 is a Sunday
    assert len(header) == 3 + 31 + 3
    assert header[-3:] == ["出勤 / present", "缺勤 / absent", "请假 / leave"]
    assert matrix.freeze_panes == "D2"
    rows = {r[1]: r for r in matrix.iter_rows(min_row=2, values_only=True) if len(r) > 3 and r[1]}
    for (site, guard), truth in seeded.truth.items():
        if site != "MS00":
            continue
        marks = "".join(str(v or "") for v in rows[guard][3:34])
        assert marks.count("缺") == truth.absent, guard
        assert marks.count("迟") == truth.late, guard
        assert marks.count("早") == truth.early_leave, guard
        assert marks.count("○") == truth.unrostered_days, guard
        assert rows[guard][34:37] == (truth.present, truth.absent, 0)
    assert matrix.column_dimensions["C"].width >= 8  # the names are not cut to a default width
