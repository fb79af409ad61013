"""The registry checked without a tap: rostered guards' standing rules, venues without a licensed
company's contract, licences and contracts about to end; and ``guardpost registry check`` on the demo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.compliance.check import check_registry
from central.compliance.schedule import check_and_log
from central.db.types import utcnow
from central.demo.seed import seed_check_examples
from central.registry.models import ServiceContract
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import local_date
from guardpost.cli import main
from tests.fixtures.tenants import logged_in

DAY = date(2026, 3, 2)  # a Monday inside the demo contracts


def codes(engine: Engine, on: date = DAY) -> set[tuple[str, str | None, str | None, str | None]]:
    with Session(engine) as session:
        return {(f.code, f.company_id, f.site_id, f.guard_id) for f in check_registry(session, on)}


def test_the_demo_examples_are_found_and_nothing_else(engine: Engine) -> None:
    with Session(engine) as session:
        seed_check_examples(session, DAY)

    with Session(engine) as session:
        findings = check_registry(session, DAY)

    assert {(f.code, f.company_id, f.site_id) for f in findings} == {
        ("VENUE_WITHOUT_LICENSED_CONTRACT", None, "S4"),  # the bar; the KTV has C1, licensed, under contract
        ("LICENCE_EXPIRING", "C3", None),
    }
    (licence,) = [f for f in findings if f.code == "LICENCE_EXPIRING"]
    assert licence.due == DAY + timedelta(days=21)
    assert licence.reason_zh == f"保安服务许可证将于 {DAY + timedelta(days=21)} 到期"


def test_rostered_guards_without_a_valid_certificate_are_found_before_any_tap(engine: Engine) -> None:
    with Session(engine) as session:
        shift = session.exec(select(Shift).where(Shift.site_id == "S2")).one()
        for guard_id in ("G1", "G3", "G4"):  # in order; certificate revoked; no certificate
            session.add(ShiftAssignment(shift_id=shift.id or 0, guard_id=guard_id, valid_from=DAY, weekdays="12345"))
        session.commit()

    found = codes(engine)

    assert ("CERT_REVOKED", "C1", "S2", "G3") in found
    assert ("CERT_MISSING", "C1", "S2", "G4") in found
    assert not any(guard == "G1" for *_, guard in found)
    assert not any(guard for *_, guard in codes(engine, DAY + timedelta(days=5)))  # Saturday: not rostered


def test_a_contract_ending_soon_is_found_until_it_is_renewed(engine: Engine) -> None:
    late = date(2027, 12, 10)  # the demo's contracts end on 2027-12-31
    assert ("CONTRACT_EXPIRING", "C1", "S2", None) in codes(engine, late)
    assert ("CONTRACT_EXPIRING", "C1", "S2", None) not in codes(engine, late - timedelta(days=60))
    with Session(engine) as session:
        session.add(ServiceContract(company_id="C1", site_id="S2", valid_from=date(2028, 1, 1),
                                    valid_to=date(2028, 12, 31)))  # fmt: skip
        session.commit()
    assert ("CONTRACT_EXPIRING", "C1", "S2", None) not in codes(engine, late)
    assert ("CONTRACT_EXPIRING", "C1", "S3", None) in codes(engine, late)


def test_the_command_reports_the_demo_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "central.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[access]\ndemo = true\n', encoding="utf-8")
    assert main(["central", "--config", str(config), "seed-demo"]) == 0
    capsys.readouterr()

    assert main(["registry", "--config", str(config), "check"]) == 0

    out = capsys.readouterr().out
    assert "2 项 / " in out
    assert "夜色酒吧 (S4)" in out
    assert "安居保安服务有限公司 (C3)" in out
    assert "保安服务许可证将于" in out


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    """``api(username)``: a client logged in as that demo account, on the demo registry with its examples."""
    with Session(engine) as session:
        seed_check_examples(session, DAY)
    with logged_in(engine, tmp_path) as login:
        yield login


def test_the_api_shows_each_audience_its_own_findings(api: Callable[[str], TestClient]) -> None:
    def found(username: str) -> set[tuple[str, str | None, str | None]]:
        answer = api(username).get("/api/registry/check", params={"date": DAY.isoformat()})
        assert answer.status_code == 200
        return {(f["code"], f["company_name"], f["site_name"]) for f in answer.json()["findings"]}

    everything = {
        ("VENUE_WITHOUT_LICENSED_CONTRACT", None, "夜色酒吧"),
        ("LICENCE_EXPIRING", "安居保安服务有限公司", None),
    }
    assert found("admin") == everything
    assert found("police") == {("VENUE_WITHOUT_LICENSED_CONTRACT", None, "夜色酒吧")}  # C3 serves no site here
    assert found("pingan") == set()  # neither is C1's


def test_the_daily_check_reports_its_findings_by_code(engine: Engine) -> None:
    today = local_date(utcnow())
    with Session(engine) as session:
        seed_check_examples(session, today)

    report = check_and_log(engine)

    assert report.day == today
    assert report.counts == {"VENUE_WITHOUT_LICENSED_CONTRACT": 1, "LICENCE_EXPIRING": 1}
    assert report.detail == (  # the audit log's words
        "findings: LICENCE_EXPIRING=1, VENUE_WITHOUT_LICENSED_CONTRACT=1; cases opened: 1; reminders: 1"
    )
