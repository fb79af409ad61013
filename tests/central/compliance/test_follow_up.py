"""The daily check follows its findings up: a case for what breaks a rule, a reminder for what ends soon,
never twice for the same finding while its case is open; the regulator and the company see them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.access.models import AuditEntry
from central.app import _audit_check
from central.cases.models import Case, CaseStatus, CaseStep
from central.checkins.store import record_event
from central.compliance.models import Reminder
from central.compliance.schedule import check_and_log
from central.db.types import utcnow
from central.demo.seed import seed_check_examples
from central.registry.models import ServiceContract, Site, SiteKind
from central.registry.roster import Shift, ShiftAssignment
from central.registry.snapshot import local_date
from tests.fixtures.central import add_terminal, make_event
from tests.fixtures.tenants import Login, logged_in


def _roster(engine: Engine, site_id: str, *guards: str) -> None:
    """``guards`` rostered every day at ``site_id`` from yesterday."""
    with Session(engine) as session:
        shift = Shift(site_id=site_id, name_zh="全天", name_en="all day", starts=time(0), ends=time(23, 59))
        session.add(shift)
        session.flush()
        since = local_date(utcnow()) - timedelta(days=1)
        for guard_id in guards:
            session.add(ShiftAssignment(shift_id=shift.id or 0, guard_id=guard_id, valid_from=since))
        session.commit()


def _cases(engine: Engine) -> dict[tuple[str, str | None, str | None], Case]:
    with Session(engine) as session:
        found = session.exec(select(Case).where(col(Case.finding_key).is_not(None))).all()
        return {(c.code, c.site_id, c.guard_id): c for c in found}


@pytest.fixture
def checked(engine: Engine) -> Engine:
    """The demo registry with its check examples (a bar without a contract, C3's licence ending in three
    weeks), G3 (certificate revoked) and G4 (none) rostered at S2, G1 at a site without any contract."""
    today = local_date(utcnow())
    with Session(engine) as session:
        seed_check_examples(session, today)
        session.add(Site(id="S9", name_zh="无合同工地", kind=SiteKind.OTHER, region="110105", jurisdiction="110105-WJ"))
        session.commit()
    _roster(engine, "S2", "G3", "G4")
    _roster(engine, "S9", "G1")
    return engine


def test_the_daily_check_opens_a_case_per_finding_once_and_a_reminder_for_what_ends(checked: Engine) -> None:
    report = check_and_log(checked)

    cases = _cases(checked)
    assert set(cases) == {
        ("VENUE_WITHOUT_LICENSED_CONTRACT", "S4", None),
        ("CERT_REVOKED", "S2", "G3"),
        ("CERT_MISSING", "S2", "G4"),
        ("NO_SERVICE_CONTRACT", "S9", "G1"),
    }
    revoked = cases[("CERT_REVOKED", "S2", "G3")]
    assert revoked.violation_id is None
    assert revoked.company_id == "C1"
    assert revoked.jurisdiction == "110105-WJ"
    assert revoked.status == CaseStatus.OPEN
    with Session(checked) as session:
        (step,) = session.exec(select(CaseStep).where(CaseStep.case_id == revoked.id)).all()
        assert (step.action, step.actor, step.role) == ("open", "system", "system")
        assert "登记核查" in step.note
        (reminder,) = session.exec(select(Reminder)).all()
    assert (reminder.code, reminder.company_id) == ("LICENCE_EXPIRING", "C3")
    assert reminder.due == local_date(utcnow()) + timedelta(days=21)
    assert (len(report.opened), report.reminded) == (4, 1)
    assert set(report.opened) == {c.id for c in cases.values()}

    _audit_check(checked)(report)  # as the service hands the report on
    with Session(checked) as session:
        audited = session.exec(select(AuditEntry.target).where(AuditEntry.action == "case.open")).all()
    assert set(audited) == {str(c.id) for c in cases.values()}

    again = check_and_log(checked)  # the next day's check: the same findings, nothing new

    assert (again.opened, again.reminded) == ((), 0)
    assert _cases(checked) == cases
    assert again.counts == report.counts


def test_a_finding_whose_case_was_closed_is_opened_again_and_one_put_right_is_not(checked: Engine) -> None:
    check_and_log(checked)
    first = _cases(checked)
    with Session(checked) as session:
        for key in (("CERT_REVOKED", "S2", "G3"), ("NO_SERVICE_CONTRACT", "S9", "G1")):
            case = session.get(Case, first[key].id)
            assert case is not None
            case.status = CaseStatus.CLOSED
            session.add(case)
        today = local_date(utcnow())
        session.add(ServiceContract(company_id="C1", site_id="S9", valid_from=today - timedelta(days=1),
                                    valid_to=today + timedelta(days=365)))  # fmt: skip
        session.commit()

    report = check_and_log(checked)

    assert len(report.opened) == 1  # G3 still rostered without a certificate; S9 has its contract now
    with Session(checked) as session:
        revoked = session.exec(select(Case).where(Case.code == "CERT_REVOKED").order_by(col(Case.id))).all()
        contract = session.exec(select(Case).where(Case.code == "NO_SERVICE_CONTRACT")).all()
    assert [c.status for c in revoked] == [CaseStatus.CLOSED, CaseStatus.OPEN]
    assert len(contract) == 1


@pytest.fixture
def login(checked: Engine, tmp_path: Path) -> Iterator[Login]:
    with logged_in(checked, tmp_path) as login:
        yield login


def test_the_regulator_takes_up_a_case_the_check_opened_and_each_side_sees_its_own(
    checked: Engine, login: Login, tmp_path: Path
) -> None:
    recent = utcnow() - timedelta(hours=1)
    event = make_event(add_terminal(checked), card_uid="04C3D4E5", occurred_at=recent)  # a violation at a tap too
    record_event(checked, event, data_dir=tmp_path, default_jurisdiction="unassigned")
    with Session(checked) as session:  # C1's contract at S3 ends in ten days: its reminder
        contract = session.exec(select(ServiceContract).where(ServiceContract.site_id == "S3")).one()
        contract.valid_to = local_date(utcnow()) + timedelta(days=10)
        session.add(contract)
        session.commit()
    check_and_log(checked)
    case = _cases(checked)[("CERT_MISSING", "S2", "G4")]

    police = login("police")
    page = police.get("/cases").text
    assert f'id="case-{case.id}"' in page
    assert 'id="violation-' in page  # the tap's violation still waits to be opened beside the check's cases
    assert "保安服务合同将于" in page  # C1's contract at S3, in the jurisdiction
    assert "保安服务许可证将于" not in page  # C3 serves no site here
    shown = police.get(f"/cases/{case.id}").text
    assert "每日登记核查" in shown
    assert "系统任务" in shown
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown)
    assert token
    ordered = police.post(f"/cases/{case.id}/order", data={"csrf_token": token.group(1), "note": "补办保安员证",
                                                           "deadline": "2030-01-31"})  # fmt: skip
    assert ordered.status_code == 200
    assert "整改中" in ordered.text

    pingan = login("pingan")
    assert f'id="case-{case.id}"' in pingan.get("/cases").text  # G4 is C1's guard
    reminders = pingan.get("/api/registry/reminders").json()
    assert [(r["code"], r["site_id"]) for r in reminders] == [("CONTRACT_EXPIRING", "S3")]
    assert login("jinxiu").get("/api/registry/reminders").json() == []
    assert f'id="case-{case.id}"' not in login("jinxiu").get("/cases").text
